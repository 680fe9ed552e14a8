import type { AllMiddlewareArgs, AnyMiddlewareArgs, App } from '@slack/bolt';
import type { Logger } from 'pino';
import type { ApprovalGate } from '../../approvals/gate.js';
import { approvalRequestSchema, parseOrThrow } from '../../approvals/schema.js';
import type { ApprovalRecord } from '../../approvals/types.js';
import { ValidationError } from '../../errors.js';
import { teamOf } from '../clients.js';
import { REQUEST_APPROVAL_STEP, requestFromInputs } from './step-io.js';
import type { WorkflowSteps } from './steps.js';

/** What the step's listener hands its work to. */
export interface RequestApprovalDeps {
  gate: Pick<ApprovalGate, 'submit'>;
  steps: WorkflowSteps;
  logger: Logger;
}

/** The request's field names as the step's inputs call them, so an error names what the builder set. */
const INPUT_NAMES: Record<string, string> = {
  title: 'title',
  explanation: 'details',
  approvers: 'approvers',
  timeoutSeconds: 'timeout',
  requestedBy: 'requested_by',
  channel: 'channel',
};

/**
 * The "Request approval" Workflow Builder step: asks through the gate (its approvers, timeout and
 * every other rule) and leaves the step running until the decision completes it. The event is
 * acknowledged only once the step and its approval are stored, so a crash before that makes
 * Slack deliver it again — and the approval id, taken from the execution id, joins the same one.
 */
export function register(app: App, { gate, steps, logger }: RequestApprovalDeps): void {
  app.use(dropStepEventsWithoutFunction);
  app.function(REQUEST_APPROVAL_STEP, { autoAcknowledge: false }, async ({ ack, event, inputs, fail, context }) => {
    const functionExecutionId = event.function_execution_id;
    const built = requestFromInputs(inputs, {
      functionExecutionId,
      workflowExecutionId: event.workflow_execution_id,
    });
    const refuse = async (why: string) => {
      await ack();
      await fail({ error: `Gatehouse cannot ask for this approval: ${why}` }).catch((error: unknown) =>
        logger.warn({ err: error, functionExecutionId }, 'could not fail the workflow step'),
      );
    };
    if ('error' in built) return refuse(built.error);
    const invalid = validationError(built.request);
    if (invalid) return refuse(invalid);
    const id = built.request.id as string;
    let record: ApprovalRecord;
    try {
      await steps.track({ id, functionExecutionId, team: teamOf(context) });
      ({ record } = await gate.submit(built.request));
    } catch (error) {
      await ack();
      logger.error({ err: error, approvalId: id }, 'workflow step could not ask for approval');
      await fail({ error: 'Gatehouse could not store the approval request; run the workflow again.' })
        .then(() => steps.close(id))
        .catch((e: unknown) => logger.warn({ err: e, functionExecutionId }, 'could not fail the workflow step'));
      return;
    }
    await ack();
    // A re-delivered event for an approval decided meanwhile: complete the step now.
    await steps.settle(record);
  });
}

/**
 * Bolt matches a step listener on `event.function.callback_id` and throws (a 500) when the event
 * has no `function` object: such an event is acknowledged and dropped here, before that.
 */
async function dropStepEventsWithoutFunction(args: AnyMiddlewareArgs & AllMiddlewareArgs): Promise<void> {
  const event = (args.body as { event?: unknown }).event;
  if (typeof event === 'object' && event !== null && (event as { type?: unknown }).type === 'function_executed') {
    const fn = (event as { function?: unknown }).function;
    if (typeof fn !== 'object' || fn === null || typeof (fn as { callback_id?: unknown }).callback_id !== 'string') {
      args.logger.warn('function_executed event without a function: ignored');
      await (args as { ack?: () => Promise<void> }).ack?.();
      return;
    }
  }
  await args.next();
}

/** The gate's own validation, run first so an invalid step never leaves a waiting record behind. */
function validationError(request: unknown): string | undefined {
  try {
    parseOrThrow(approvalRequestSchema, request);
    return undefined;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return error.issues
      .map(({ field, message }) => {
        const [head = '', ...rest] = field.split('.');
        return `${[INPUT_NAMES[head] ?? head, ...rest].join('.')}: ${message}`;
      })
      .join('; ');
  }
}
