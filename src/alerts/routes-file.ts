import { readFile } from 'node:fs/promises';
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError, type FieldIssue } from '../errors.js';
import { ALERT_KINDS, SEVERITIES } from './schema.js';

const channelId = z.string().regex(/^[CGD][A-Z0-9]{2,}$/, 'expected a Slack channel id like C0123ABCD (not a #name)');
const address = z.email('expected an e-mail address');
const hourMinute = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time of day like 22:00');
const timeZone = z.string().refine(isTimeZone, 'expected an IANA time zone like Europe/Paris');
const kind = z.enum(ALERT_KINDS, { error: `expected one of ${ALERT_KINDS.join(', ')}` });
const severity = z.enum(SEVERITIES, { error: `expected one of ${SEVERITIES.join(', ')}` });

const targets = z.strictObject({ slack: z.array(channelId).optional(), email: z.array(address).optional() });

const rule = z.strictObject({
  match: z.strictObject(
    {
      kind: kind.optional(),
      task: z.string().min(1, 'must not be empty').optional(),
      severity: severity.optional(),
    },
    { error: (issue) => (issue.input === undefined ? 'required (use {} to match every alert)' : 'expected a mapping') },
  ),
  slack: z.array(channelId).optional(),
  email: z.array(address).optional(),
  replace: z.boolean().optional(),
});

const routesSchema = z.strictObject({
  defaults: z
    .strictObject({ critical: targets.optional(), warning: targets.optional(), info: targets.optional() })
    .optional(),
  rules: z
    .array(
      rule.refine((r) => r.slack !== undefined || r.email !== undefined, {
        message: 'a rule needs slack or email (or both)',
        path: ['slack'],
      }),
    )
    .optional(),
  quietHours: z
    .strictObject({ from: hourMinute, to: hourMinute, timeZone })
    .refine((q) => q.from !== q.to, { message: 'from and to must differ', path: ['to'] })
    .optional(),
});

/** A validated routing file. */
export type RoutesFile = z.infer<typeof routesSchema>;
/** One rule of a routing file. */
export type RouteRule = NonNullable<RoutesFile['rules']>[number];
/** When info alerts are held: local times in `timeZone`; `from` after `to` spans midnight. */
export type QuietHours = NonNullable<RoutesFile['quietHours']>;

/**
 * Parses and validates a routing file. Every problem is reported at once, in a ConfigError whose
 * issues name the key path and its line: `rules[1].match.kind (line 7): expected one of failure, …`.
 * An empty file keeps the defaults.
 *
 * @example
 * ```yaml
 * # Replace a tier's default channels or recipients (keys left out keep the environment's).
 * defaults:
 *   warning: { slack: [C0MONITOR], email: [owner@example.com] }
 * # Every matching rule applies, in order: it adds its targets, or with `replace: true` replaces
 * # the lists it names. `task` is a glob (`*` any run of characters, `?` one character).
 * rules:
 *   - match: { kind: failure, task: "campaign-*" }
 *     slack: [C0CAMPAIGNS]
 *     email: [marketing@example.com]
 *   - match: { severity: info, task: "nightly-*" }
 *     slack: [C0NIGHTLY]
 *     replace: true
 * # Info alerts arriving in these hours are held, then posted when they end.
 * quietHours: { from: "22:00", to: "07:00", timeZone: Europe/Paris }
 * ```
 */
export function parseRoutes(text: string): RoutesFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const lineOf = (offset: number) => lineCounter.linePos(offset).line;
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((error) => ({
        field: `line ${lineOf(error.pos[0])}`,
        message: `invalid YAML: ${error.message.split('\n', 1)[0]}`,
      })),
    );
  }
  const result = routesSchema.safeParse(doc.toJS() ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.flatMap((issue): FieldIssue[] => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [null];
    return keys.map((key) => {
      const path = key === null ? issue.path : [...issue.path, key];
      const line = lineOfPath(doc, path, lineOf);
      const at = formatPath(path);
      return {
        field: line === undefined ? at : `${at} (line ${line})`,
        message: key === null ? issue.message : 'is not a known key',
      };
    });
  });
  throw new ConfigError(issues);
}

/** Reads and validates the routing file at `path` (see `parseRoutes`). */
export async function loadRoutesFile(path: string): Promise<RoutesFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError([{ field: 'ALERT_ROUTES_FILE', message: `cannot read ${path} (${reason})` }]);
  }
  return parseRoutes(text);
}

/** `rules[1].match.kind`; the whole file when the path is empty. */
function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'routes file';
  return path
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`,
    )
    .join('');
}

/** The line of the deepest node on `path` that exists: a key's own line for mapping entries. */
function lineOfPath(doc: Document, path: readonly PropertyKey[], lineOf: (offset: number) => number) {
  let node: unknown = doc.contents;
  let line = rangeLine(node, lineOf);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      line = rangeLine(pair.key, lineOf) ?? line;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)];
      if (item === undefined) break;
      line = rangeLine(item, lineOf) ?? line;
      node = item;
    } else {
      break;
    }
  }
  return line;
}

function rangeLine(node: unknown, lineOf: (offset: number) => number): number | undefined {
  const range = (node as { range?: [number, number, number] | null } | null)?.range;
  return range ? lineOf(range[0]) : undefined;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
