import type { QuietHours, RouteRule, RoutesFile } from './routes-file.js';
import type { AlertKind, Route, Severity } from './types.js';

/** What routing looks at. */
export interface RoutableAlert {
  kind: AlertKind;
  severity: Severity;
  taskId: string | null;
}

/** Where an alert goes, and until when it is held (quiet hours; epoch ms) or null. */
export interface RouteDecision {
  route: Route;
  holdUntil: number | null;
}

/** Decides where alerts go; built by `createRouter`. */
export interface AlertRouter {
  /** The route of `alert` arriving at `now` (epoch ms). */
  route(alert: RoutableAlert, now: number): RouteDecision;
  /** Who gets an alert by e-mail when Slack fails: the route's recipients, else the owner, else the team. */
  fallbackRecipients(route: Route): string[];
  /** The delivery target naming a route's e-mail list: `email:team`, `email:owner` or `email:route`. */
  emailTarget(recipients: string[]): string;
}

/** What `createRouter` needs: the environment's channels and lists, and an optional routing file. */
export interface RouterOptions {
  channels: { alerts?: string; monitoring?: string; status?: string };
  email?: { team: string[]; owner: string[] } | null;
  routes?: RoutesFile;
}

/**
 * Builds the router: critical → `channels.alerts` + the team list, warning → `channels.monitoring`
 * + the owner, info → `channels.status` and no e-mail; then the routing file's defaults, rules and
 * quiet hours (see `parseRoutes` for the format).
 */
export function createRouter({ channels, email, routes = {} }: RouterOptions): AlertRouter {
  const team = email?.team ?? [];
  const owner = email?.owner ?? [];
  const only = (channel: string | undefined) => (channel ? [channel] : []);
  const base: Record<Severity, Route> = {
    critical: { slack: only(channels.alerts), email: team },
    warning: { slack: only(channels.monitoring), email: owner },
    info: { slack: only(channels.status), email: [] },
  };
  for (const severity of ['critical', 'warning', 'info'] as const) {
    const override = routes.defaults?.[severity];
    base[severity] = {
      slack: override?.slack ?? base[severity].slack,
      email: override?.email ?? base[severity].email,
    };
  }
  const rules = (routes.rules ?? []).map((rule) => ({
    rule,
    task: rule.match.task ? globToRegExp(rule.match.task) : null,
  }));
  const quiet = routes.quietHours;

  return {
    route(alert, now) {
      let route: Route = { slack: [...base[alert.severity].slack], email: [...base[alert.severity].email] };
      for (const { rule, task } of rules) {
        if (matches(rule, task, alert)) route = apply(route, rule);
      }
      const holdUntil = quiet && alert.severity === 'info' ? quietHoursEnd(quiet, now) : null;
      return { route, holdUntil };
    },
    fallbackRecipients(route) {
      if (route.email.length > 0) return route.email;
      return owner.length > 0 ? owner : team;
    },
    emailTarget(recipients) {
      if (sameList(recipients, team)) return 'email:team';
      if (sameList(recipients, owner)) return 'email:owner';
      return 'email:route';
    },
  };
}

function matches(rule: RouteRule, task: RegExp | null, alert: RoutableAlert): boolean {
  if (rule.match.kind !== undefined && rule.match.kind !== alert.kind) return false;
  if (rule.match.severity !== undefined && rule.match.severity !== alert.severity) return false;
  if (task !== null && (alert.taskId === null || !task.test(alert.taskId))) return false;
  return true;
}

function apply(route: Route, rule: RouteRule): Route {
  const merge = (current: string[], added: string[] | undefined) =>
    added === undefined ? current : rule.replace ? [...new Set(added)] : [...new Set([...current, ...added])];
  return { slack: merge(route.slack, rule.slack), email: merge(route.email, rule.email) };
}

function sameList(a: string[], b: string[]): boolean {
  return a.length > 0 && a.length === b.length && a.every((item) => b.includes(item));
}

/** `campaign-*` → /^campaign-.*$/; `?` is one character; everything else is literal. */
export function globToRegExp(glob: string): RegExp {
  const body = [...glob]
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 's');
}

/**
 * When the quiet hours around `now` end (epoch ms), or null when `now` is outside them.
 * `from` after `to` spans midnight (22:00 → 07:00).
 */
export function quietHoursEnd(quiet: QuietHours, now: number): number | null {
  const from = minutesOf(quiet.from);
  const to = minutesOf(quiet.to);
  const local = localMinutes(now, quiet.timeZone);
  const minute = Math.floor(local);
  const inside = from < to ? minute >= from && minute < to : minute >= from || minute < to;
  if (!inside) return null;
  const ahead = (to - local + 1440) % 1440;
  let end = now + Math.round(ahead * 60_000);
  // A daylight-saving change in between moves local time by its offset: correct once for it.
  const drift = Math.round(localMinutes(end, quiet.timeZone)) - to;
  const wrapped = (((drift % 1440) + 1440 + 720) % 1440) - 720;
  if (wrapped !== 0) end -= wrapped * 60_000;
  return end;
}

function minutesOf(hhmm: string): number {
  const [hours, minutes] = hhmm.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes since local midnight in `timeZone`, with the seconds as a fraction. */
function localMinutes(at: number, timeZone: string): number {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, format);
  }
  const parts = format.formatToParts(at);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return part('hour') * 60 + part('minute') + (part('second') + (at % 1000) / 1000) / 60;
}
