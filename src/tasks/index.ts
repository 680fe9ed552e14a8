export { observeCheckpoints } from './observed-store.js';
export { type AgentDefinition, type AgentDeps, AgentRegistry, stageNamesOf } from './registry.js';
export { type StartOptions, type TaskGate, TaskService, type TaskServiceOptions } from './service.js';
export { type TaskRecordSeed, TaskRecords } from './task-records.js';
export {
  type StageView,
  silentObserver,
  TASKS_NAMESPACE,
  type TaskObserver,
  type TaskRecord,
  type TaskState,
  type TaskStats,
  type TaskView,
} from './types.js';
export { type LiveState, newTaskId, statsOf, taskView } from './view.js';
