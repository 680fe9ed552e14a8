export { type AgentGate, type AgentOptions, BaseAgent, defineAgent } from './agent.js';
export { BudgetExceededError, type BudgetInfo, TaskBudget, type TaskBudgetOptions } from './budget.js';
export {
  CHECKPOINTS_NAMESPACE,
  CheckpointStore,
  checkBudget,
  checkDefinition,
  checkTaskId,
  completedResult,
  newCheckpoint,
  TaskTakenOverError,
} from './checkpoints.js';
export {
  type BatchResult,
  type CallOptions,
  ClaudeClient,
  type ClaudeClientOptions,
  type ClaudeRequest,
  type ClaudeResult,
  cachedSystem,
} from './claude/client.js';
export { AgentLogger, type ClaudeCallLog, logClaudeCall, PROMPT_PREVIEW_CHARS, promptPreview } from './logger.js';
export {
  type ExecutionOutcome,
  METRICS_NAMESPACE,
  type Metrics,
  type MetricsKind,
  MetricsStore,
  targetOf,
} from './metrics.js';
export {
  type AlertRule,
  type AlertRuleInput,
  alertRuleSchema,
  alertRulesSchema,
  type Breach,
  describeBreach,
  evaluateRules,
  parseRules,
  RULE_STATE_NAMESPACE,
  RuleMonitor,
  type RuleMonitorOptions,
} from './rules.js';
export {
  type AgentTool,
  type AnyAgentTool,
  defineTool,
  type NeedsApproval,
  TOOL_LOOPS_NAMESPACE,
  TOOL_RUNS_NAMESPACE,
  type ToolApproval,
  type ToolCallContext,
  type ToolCallOutcome,
  type ToolCallSummary,
  ToolLoopLimitError,
  type ToolLoopRequest,
  type ToolLoopResult,
  type ToolRisk,
  ToolUseLoop,
  type ToolUseLoopOptions,
} from './tools/index.js';
export {
  type AgentAlerts,
  type AgentResult,
  type RunOptions,
  type Stage,
  type StageApprovalOptions,
  type StageApprovalRequest,
  type StageContext,
  silentAlerts,
  type TaskCheckpoint,
  type TaskStatus,
} from './types.js';
export {
  defineWorkflow,
  type StepContext,
  type StepResult,
  type StepStatus,
  WORKFLOW_RUNS_NAMESPACE,
  Workflow,
  WorkflowFailedError,
  type WorkflowOptions,
  type WorkflowRun,
  type WorkflowStep,
} from './workflow.js';
