export { ApprovalGate, type ApprovalGateOptions, SYSTEM_ACTOR, toResponse } from './approvals/gate.js';
export { type ApprovalNotifier, silentNotifier } from './approvals/notifier.js';
export { approvalRequestSchema } from './approvals/schema.js';
export type {
  ApprovalRecord,
  ApprovalRequest,
  ApprovalResponse,
  ApprovalStatus,
  Decision,
  DecisionInput,
  DecisionVia,
  JsonValue,
  MessageRef,
} from './approvals/types.js';
export { type Clock, systemClock } from './clock.js';
export { type Config, loadConfig } from './config.js';
export {
  AlreadyDecidedError,
  asCodedError,
  ConfigError,
  ConflictError,
  ErrorCode,
  GatehouseError,
  NotAllowedError,
  NotFoundError,
  StoreError,
  ValidationError,
} from './errors.js';
export { createGatehouse, type Gatehouse, type GatehouseDeps } from './gatehouse.js';
export { createStore, MemoryStore, type RecordStore, SqliteStore, type Store } from './store/index.js';
