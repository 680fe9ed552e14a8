export { AlertManager, type AlertManagerOptions, alertInputSchema, type SendResult } from './manager.js';
export { ChannelPacer, type PacedItem, type PaceOutcome, type PacerOptions } from './pacing.js';
export {
  type AlertEmailPort,
  type AlertSlackPort,
  RateLimitedError,
  type TaskThreadLookup,
  UnreachableError,
} from './ports.js';
export { defaultSeverity, errorExcerpt, formatDuration, occurrenceSummary, percentOf } from './render.js';
export { loadRoutesFile, parseRoutes, type QuietHours, type RouteRule, type RoutesFile } from './routes-file.js';
export {
  type AlertRouter,
  createRouter,
  globToRegExp,
  quietHoursEnd,
  type RoutableAlert,
  type RouteDecision,
  type RouterOptions,
} from './routing.js';
export { ALERT_KINDS, SEVERITIES } from './schema.js';
export type {
  AlertInput,
  AlertKind,
  AlertRecord,
  Delivery,
  DeliveryAttempt,
  Route,
  Severity,
} from './types.js';
