export { costOf, DEFAULT_PRICES, type ModelPrice } from './agents/claude/pricing.js';
// Agents: stage-based agents with checkpoints, the Claude client, budgets, workflows, rules.
export {
  type AgentAlerts,
  type AgentOptions,
  type AgentResult,
  BaseAgent,
  type BatchResult,
  BudgetExceededError,
  ClaudeClient,
  type ClaudeClientOptions,
  type ClaudeRequest,
  type ClaudeResult,
  cachedSystem,
  defineAgent,
  defineWorkflow,
  MetricsStore,
  RuleMonitor,
  type RunOptions,
  type Stage,
  type StageContext,
  TaskBudget,
} from './agents/index.js';
// Claude tool use in stages: tools that ask for approval, edits run as approved, resumable.
export {
  type AgentTool,
  defineTool,
  type NeedsApproval,
  type ToolApproval,
  type ToolCallContext,
  type ToolCallSummary,
  type ToolLoopRequest,
  type ToolLoopResult,
  ToolUseLoop,
  type ToolUseLoopOptions,
} from './agents/tools/index.js';
// Alerts: tiered routing, storms, pacing, e-mail fallback.
export {
  type AlertInput,
  type AlertKind,
  AlertManager,
  type AlertManagerOptions,
  type AlertRecord,
  createRouter,
  loadRoutesFile,
  parseRoutes,
  type Severity,
} from './alerts/index.js';
// Approvals beyond the gate: audit trail, signed callbacks (and how a receiver checks them).
export { AuditLog } from './approvals/audit.js';
export {
  SIGNATURE_HEADER,
  signCallback,
  TIMESTAMP_HEADER,
  verifyCallbackSignature,
} from './approvals/callback-signature.js';
export { CallbackSender } from './approvals/callbacks.js';
export { ApprovalGate, type ApprovalGateOptions, SYSTEM_ACTOR } from './approvals/gate.js';
export { type GrantRecord, type GrantStatus, Grants } from './approvals/grants.js';
export { type ApprovalNotifier, silentNotifier } from './approvals/notifier.js';
export { toResponse } from './approvals/response.js';
export { approvalRequestSchema } from './approvals/schema.js';
export type {
  ApprovalRecord,
  ApprovalRequest,
  ApprovalResponse,
  ApprovalStatus,
  Decision,
  DecisionInput,
  DecisionVia,
  GrantDuration,
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
export { maskDeep, maskSecrets } from './mask.js';
export { createStore, MemoryStore, type RecordStore, SqliteStore, type Store } from './store/index.js';
// Tasks: named agents that can be started, resumed and cancelled.
export { AgentRegistry, TaskService } from './tasks/index.js';
