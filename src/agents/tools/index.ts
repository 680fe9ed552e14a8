export { checkToolInput, type ToolApprovalShape, toolApproval } from './approval.js';
export { ToolLoopLimitError, ToolUseLoop, type ToolUseLoopOptions } from './loop.js';
export { TOOL_LOOPS_NAMESPACE, TOOL_RUNS_NAMESPACE } from './records.js';
export {
  type AgentTool,
  type AnyAgentTool,
  defineTool,
  type NeedsApproval,
  type ToolApproval,
  type ToolCallContext,
  type ToolCallOutcome,
  type ToolCallSummary,
  type ToolLoopContext,
  type ToolLoopRecord,
  type ToolLoopRequest,
  type ToolLoopResult,
  type ToolResultContent,
  type ToolRisk,
  type ToolRunRecord,
} from './types.js';
