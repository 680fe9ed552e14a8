/**
 * `gatehouse/client`: the typed HTTP client, for agents and tools that talk to a Gatehouse server.
 * Loads no server code (no Bolt, Express, SQLite or pino).
 */
export {
  AlreadyDecidedError,
  ConflictError,
  ConnectionError,
  ErrorCode,
  GatehouseError,
  NotAllowedError,
  NotFoundError,
  ServerError,
  StaleRequestError,
  UnauthorizedError,
  ValidationError,
} from '../errors.js';
export type { GatehouseClientOptions, RequestOptions } from './client.js';
export { DEFAULT_URL, GatehouseClient, POLL_SECONDS, RETRY_DELAYS_MS, readEnv } from './client.js';
export { isTransient, PayloadTooLargeError } from './errors.js';
export type {
  AlertInput,
  AlertReceipt,
  Approval,
  ApprovalPage,
  ApprovalRequestInput,
  ApprovalStatus,
  ApprovalStreamEvent,
  CallOptions,
  CancelInput,
  DecisionInput,
  JsonValue,
  ListQuery,
  Severity,
  WaitOptions,
} from './types.js';
