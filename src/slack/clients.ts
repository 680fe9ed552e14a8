import type { webApi } from '@slack/bolt';

/** Which workspace (or Enterprise Grid organisation, for an org-wide install) a Slack call is for. */
export interface SlackTeam {
  teamId?: string;
  enterpriseId?: string;
  isEnterpriseInstall?: boolean;
}

/**
 * Finds the Web API client that holds a workspace's bot token. One workspace (`SLACK_BOT_TOKEN`)
 * answers every team with the same client; OAuth installs answer each team with its own token.
 */
export interface SlackClients {
  /** The client for `team`; rejects when the team has no installation. */
  forTeam(team: SlackTeam): Promise<webApi.WebClient>;
}

/** The single-workspace case: every team is the one the bot token belongs to. */
export function singleTokenClients(client: webApi.WebClient): SlackClients {
  return { forTeam: async () => client };
}

/** The team of a Bolt listener's context, in the shape {@link SlackClients} takes. */
export function teamOf(context: { teamId?: string; enterpriseId?: string; isEnterpriseInstall?: boolean }): SlackTeam {
  return {
    ...(context.teamId ? { teamId: context.teamId } : {}),
    ...(context.enterpriseId ? { enterpriseId: context.enterpriseId } : {}),
    isEnterpriseInstall: context.isEnterpriseInstall ?? false,
  };
}
