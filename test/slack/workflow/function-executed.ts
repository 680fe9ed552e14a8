import { REQUEST_APPROVAL_STEP } from '../../../src/slack/workflow/step-io.js';

let seq = 0;

export interface FunctionExecutedOptions {
  inputs: Record<string, unknown>;
  /** Defaults to a fresh `Fx…` id. */
  functionExecutionId?: string;
  teamId?: string;
  callbackId?: string;
}

/** The Events API body Slack sends when a workflow reaches one of the app's custom steps. */
export function functionExecutedBody({
  inputs,
  functionExecutionId = nextId('Fx'),
  teamId = 'T0TEST',
  callbackId = REQUEST_APPROVAL_STEP,
}: FunctionExecutedOptions) {
  const now = Math.floor(Date.now() / 1000);
  return {
    token: 'verification-token',
    team_id: teamId,
    api_app_id: 'A0GATEHOUSE',
    type: 'event_callback',
    event_id: nextId('Ev'),
    event_time: now,
    authorizations: [
      { enterprise_id: null, team_id: teamId, user_id: 'U0BOT', is_bot: true, is_enterprise_install: false },
    ],
    is_ext_shared_channel: false,
    event: {
      type: 'function_executed',
      function: {
        id: 'Fn0REQUEST',
        callback_id: callbackId,
        title: 'Request approval',
        description: 'Ask Gatehouse approvers and wait for their decision',
        type: 'app',
        input_parameters: [],
        output_parameters: [],
        app_id: 'A0GATEHOUSE',
        date_created: now,
        date_updated: now,
        date_deleted: 0,
      },
      inputs,
      function_execution_id: functionExecutionId,
      workflow_execution_id: nextId('Wx'),
      event_ts: `${now}.000100`,
      bot_access_token: `xwfp-${functionExecutionId}`,
    },
  };
}

function nextId(prefix: string): string {
  seq += 1;
  return `${prefix}0${String(seq).padStart(9, '0')}`;
}
