import type { Installation, InstallationQuery, InstallationStore } from '@slack/bolt';
import type { Logger } from 'pino';
import type { RecordStore, Versioned } from '../../store/types.js';
import type { SlackTeam } from '../clients.js';

/** One workspace's (or one org's) installation of the app, as stored. */
export interface InstallationRecord extends Versioned {
  /** `team:T…`, or `enterprise:E…` for an org-wide install. */
  id: string;
  status: 'installed' | 'uninstalled';
  team: SlackTeam;
  /** What Bolt's installer stored, tokens included; null once uninstalled, so no token outlives it. */
  installation: Installation | null;
  updatedAt: string;
}

const MAX_WRITE_ATTEMPTS = 10;

/** The store key of a team: an org-wide install answers for every workspace of its org. */
export function installationKey(team: SlackTeam): string {
  if (team.isEnterpriseInstall && team.enterpriseId) return `enterprise:${team.enterpriseId}`;
  if (team.teamId) return `team:${team.teamId}`;
  throw new Error('a Slack team needs a team id (or an enterprise id for an org-wide install)');
}

/**
 * Bolt's `InstallationStore` kept in Gatehouse's store, so installations (and the tokens
 * refreshed by token rotation) survive restarts and are shared by every process on that store.
 */
export class StoredInstallations implements InstallationStore {
  constructor(
    private readonly records: RecordStore<InstallationRecord>,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Called by Bolt after an install and after every token refresh. */
  async storeInstallation(installation: Installation): Promise<void> {
    const team: SlackTeam = {
      teamId: installation.team?.id,
      enterpriseId: installation.enterprise?.id,
      isEnterpriseInstall: installation.isEnterpriseInstall ?? false,
    };
    await this.write(installationKey(team), team, () => ({ status: 'installed', installation }));
    this.logger.info({ teamId: team.teamId, enterpriseId: team.enterpriseId }, 'slack installation stored');
  }

  /** Called by Bolt's authorize for every incoming request; throws when the team has no installation. */
  async fetchInstallation(query: InstallationQuery<boolean>): Promise<Installation> {
    const found = await this.find(query);
    if (!found) {
      throw new Error(`Gatehouse is not installed in Slack team ${query.teamId ?? query.enterpriseId ?? '(none)'}`);
    }
    return found;
  }

  /** Called on `app_uninstalled` and `tokens_revoked`: forgets the tokens, keeps who it was. */
  async deleteInstallation(query: InstallationQuery<boolean>): Promise<void> {
    const team = {
      teamId: query.teamId,
      enterpriseId: query.enterpriseId,
      isEnterpriseInstall: query.isEnterpriseInstall,
    };
    const record = await this.records.get(installationKey(team));
    if (record?.status !== 'installed') return;
    await this.write(record.id, record.team, () => ({ status: 'uninstalled', installation: null }));
    this.logger.info({ teamId: team.teamId, enterpriseId: team.enterpriseId }, 'slack installation deleted');
  }

  /** Every team Gatehouse is installed in. */
  async installed(): Promise<InstallationRecord[]> {
    return this.records.findBy('status', 'installed');
  }

  private async find(query: InstallationQuery<boolean>): Promise<Installation | undefined> {
    const keys = [];
    if (!query.isEnterpriseInstall && query.teamId) keys.push(`team:${query.teamId}`);
    // An org-wide install also answers requests from each workspace of the org.
    if (query.enterpriseId) keys.push(`enterprise:${query.enterpriseId}`);
    for (const key of keys) {
      const record = await this.records.get(key);
      if (record?.status === 'installed' && record.installation) return record.installation;
    }
    return undefined;
  }

  private async write(
    id: string,
    team: SlackTeam,
    change: () => Pick<InstallationRecord, 'status' | 'installation'>,
  ): Promise<void> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const updatedAt = new Date(this.now()).toISOString();
      const current = await this.records.get(id);
      if (!current) {
        const { created } = await this.records.insert({ id, team, updatedAt, version: 1, ...change() });
        if (created) return;
        continue;
      }
      if (
        await this.records.replace(
          { ...current, ...change(), updatedAt, version: current.version + 1 },
          current.version,
        )
      )
        return;
    }
    throw new Error(`slack installation ${id}: too many concurrent writes`);
  }
}
