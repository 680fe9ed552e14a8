import { z } from 'zod';

/**
 * The shapes of the Slack requests Gatehouse acts on, checked before Bolt or a listener reads
 * them: a validly signed body can still be `payload=null` or an event that is not an object, and
 * Bolt's own parsing throws on those. Loose objects: Slack adds fields, and those are not ours to refuse.
 */
const id = z.string().min(1).max(255);
const text = z.string().max(100_000);

const stateValue = z.looseObject({
  type: z.string().max(100),
  value: text.nullish(),
  selected_option: z.looseObject({ value: text }).nullish(),
});

/** `view.state.values`: `{ [blockId]: { [actionId]: value } }`. */
export const stateValuesSchema = z.record(z.string().max(255), z.record(z.string().max(255), stateValue));

const user = z.looseObject({ id, team_id: id.optional() });
const team = z.looseObject({ id }).nullish();
const authorizations = z.array(z.looseObject({ team_id: id.nullish(), is_enterprise_install: z.boolean().optional() }));

/** A button click (`block_actions`). */
export const blockActionsSchema = z.looseObject({
  type: z.literal('block_actions'),
  user,
  team,
  trigger_id: text.optional(),
  response_url: text.optional(),
  channel: z.looseObject({ id }).nullish(),
  container: z.looseObject({ channel_id: id.optional(), message_ts: id.optional(), view_id: id.optional() }).nullish(),
  actions: z
    .array(z.looseObject({ action_id: id, block_id: id.optional(), type: z.string().max(100), value: text.optional() }))
    .min(1)
    .max(25),
  is_enterprise_install: z.boolean().optional(),
});

/** A modal submitted (`view_submission`). */
export const viewSubmissionSchema = z.looseObject({
  type: z.literal('view_submission'),
  user,
  team,
  view: z.looseObject({
    id: id.optional(),
    callback_id: z.string().max(255),
    private_metadata: z.string().max(3000).optional(),
    app_installed_team_id: id.nullish(),
    state: z.looseObject({ values: stateValuesSchema }),
  }),
  is_enterprise_install: z.boolean().optional(),
});

/** A slash command's form fields. */
export const slashCommandSchema = z.looseObject({
  command: z.string().min(1).max(255),
  text: z.string().max(10_000),
  user_id: id,
  channel_id: id,
  team_id: id.optional(),
  response_url: z.string().max(2000),
  trigger_id: text.optional(),
});

/** An Events API delivery; each event type's fields are checked by its listener's schema below. */
export const eventCallbackSchema = z.looseObject({
  type: z.literal('event_callback'),
  team_id: id.optional(),
  authorizations: authorizations.optional(),
  event: z.looseObject({ type: z.string().min(1).max(255) }),
});

/** `app_home_opened`: who opened which tab. */
export const appHomeOpenedSchema = z.looseObject({
  type: z.literal('app_home_opened'),
  user: id,
  tab: z.string().max(50).optional(),
});

/** A Workflow Builder step run (`function_executed`): what the step listener reads. */
export const functionExecutedSchema = z.looseObject({
  type: z.literal('function_executed'),
  function_execution_id: z.string().min(1).max(200),
  function: z.looseObject({ callback_id: z.string().min(1).max(200) }),
  inputs: z.record(z.string(), z.unknown()).optional(),
});

/** The app was uninstalled, or some of its tokens revoked: no fields are read beyond the type. */
export const appUninstalledSchema = z.looseObject({ type: z.literal('app_uninstalled') });
export const tokensRevokedSchema = z.looseObject({
  type: z.literal('tokens_revoked'),
  tokens: z.looseObject({ bot: z.array(z.string()).optional(), oauth: z.array(z.string()).optional() }).optional(),
});

/** Slack's checks of the request URL, answered by Bolt. */
const urlVerificationSchema = z.looseObject({ type: z.literal('url_verification'), challenge: z.string().max(1000) });
const sslCheckSchema = z.looseObject({ ssl_check: z.string().max(10) });

/** What Gatehouse listens to, by kind; anything else is acknowledged at once and dropped. */
export interface SlackRoutes {
  /** `action_id`s of buttons. */
  actions: readonly string[];
  /** `callback_id`s of modals. */
  views: readonly string[];
  /** Slash commands, with their slash. */
  commands: readonly string[];
  /** Event types, each with the schema its event must satisfy. */
  events: Readonly<Record<string, z.ZodType>>;
}

/** A parsed, signed request body: passed on to Bolt, or acknowledged at once (not ours, or malformed). */
export type Verdict = { pass: true } | { pass: false; reason: string };

/** Whether Bolt should see `body` (parsed from the request): a known route, in a shape its listener can read. */
export function admit(body: unknown, routes: SlackRoutes): Verdict {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { pass: false, reason: 'not an object' };
  const record = body as Record<string, unknown>;
  const kind = typeof record.type === 'string' ? record.type : typeof record.command === 'string' ? 'command' : '';
  const check = (schema: z.ZodType, known: boolean, what: string): Verdict => {
    if (!known) return { pass: false, reason: `not handled: ${what}` };
    return schema.safeParse(body).success ? { pass: true } : { pass: false, reason: `malformed ${what}` };
  };
  switch (kind) {
    case 'block_actions': {
      const actions = Array.isArray(record.actions) ? record.actions : [];
      const first = actions[0] as { action_id?: unknown } | undefined;
      return check(blockActionsSchema, routes.actions.includes(String(first?.action_id)), 'block_actions');
    }
    case 'view_submission': {
      const view = record.view as { callback_id?: unknown } | null | undefined;
      return check(viewSubmissionSchema, routes.views.includes(String(view?.callback_id)), 'view_submission');
    }
    case 'command':
      return check(slashCommandSchema, routes.commands.includes(String(record.command)), 'slash command');
    case 'event_callback': {
      const event = eventCallbackSchema.safeParse(body);
      if (!event.success) return { pass: false, reason: 'malformed event_callback' };
      const schema = routes.events[event.data.event.type];
      if (!schema || !Object.hasOwn(routes.events, event.data.event.type))
        return { pass: false, reason: `not handled: event ${event.data.event.type}` };
      return schema.safeParse(event.data.event).success
        ? { pass: true }
        : { pass: false, reason: `malformed event ${event.data.event.type}` };
    }
    case 'url_verification':
      return check(urlVerificationSchema, true, 'url_verification');
    default:
      if (typeof record.ssl_check === 'string') return check(sslCheckSchema, true, 'ssl_check');
      return { pass: false, reason: 'not handled: unknown type' };
  }
}
