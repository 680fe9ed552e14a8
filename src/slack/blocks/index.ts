export type { AlertAttachment, AlertMessage, AlertMessageOptions } from './alert-message.js';
export {
  AlertBlockId,
  AlertStyle,
  alertMessage,
  alertStyle,
  alertTitle,
  percentBar,
} from './alert-message.js';
export type { ApprovalMessage, ApprovalRequestMessageOptions } from './approval-message.js';
export {
  alreadyDecidedText,
  approvalOutcomeMessage,
  approvalRequestMessage,
  escalationText,
  noApproversText,
  notAllowedText,
  reminderText,
  slackDate,
  userRef,
} from './approval-message.js';
export type { ContextField, FlattenedContext, FlattenOptions } from './context-fields.js';
export { contextFieldSections, flattenContext, formatFieldValue } from './context-fields.js';
export type { ModalMetadata } from './ids.js';
export { ActionId, BlockId, decodeModalMetadata, encodeModalMetadata, InputId, ViewId } from './ids.js';
export type { BoundedJson, JsonErrorLocation } from './json.js';
export { boundedJson, locateJsonError } from './json.js';
export type { FitMessageOptions } from './limits.js';
export {
  BlockKitLimits,
  blocksTextLength,
  fitMessage,
  mrkdwnEscape,
  mrkdwnText,
  truncate,
  truncateMrkdwn,
} from './limits.js';
export type { ChangesSubmission, ModalMessageRef, RejectSubmission } from './modals.js';
export {
  changesModal,
  MAX_REASON_LENGTH,
  parseChangesSubmission,
  parseRejectSubmission,
  rejectModal,
} from './modals.js';
