import type { ApprovalRecord } from './approvals/types.js';

/** Every error Gatehouse raises on purpose carries one of these codes. */
export enum ErrorCode {
  ConfigError = 'gatehouse_config_error',
  ValidationError = 'gatehouse_validation_error',
  NotFoundError = 'gatehouse_not_found',
  AlreadyDecidedError = 'gatehouse_already_decided',
  NotAllowedError = 'gatehouse_not_allowed',
  ConflictError = 'gatehouse_conflict',
  StoreError = 'gatehouse_store_error',
  BudgetExceeded = 'gatehouse_budget_exceeded',
  UnauthorizedError = 'gatehouse_unauthorized',
  ConnectionError = 'gatehouse_connection_error',
  ServerError = 'gatehouse_server_error',
  UnknownError = 'gatehouse_unknown_error',
}

/** One problem with one named field (an env variable, a body field, a modal input). */
export interface FieldIssue {
  field: string;
  message: string;
}

/** Base of every coded error. */
export class GatehouseError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Invalid configuration at start; `issues` names every bad variable. */
export class ConfigError extends GatehouseError {
  readonly issues: FieldIssue[];
  constructor(issues: FieldIssue[]) {
    super(
      ErrorCode.ConfigError,
      `Invalid configuration:\n${issues.map((i) => `  - ${i.field}: ${i.message}`).join('\n')}`,
    );
    this.issues = issues;
  }
}

/** Bad input from a caller; `issues` names every wrong field. */
export class ValidationError extends GatehouseError {
  readonly issues: FieldIssue[];
  constructor(issues: FieldIssue[]) {
    super(ErrorCode.ValidationError, issues.map((i) => `${i.field}: ${i.message}`).join('; '));
    this.issues = issues;
  }
}

/** No such record. `message` replaces the default wording (the typed client passes the server's). */
export class NotFoundError extends GatehouseError {
  constructor(what: string, id: string, message?: string) {
    super(ErrorCode.NotFoundError, message ?? `${what} ${JSON.stringify(id)} not found`);
  }
}

/** The approval was already decided; `approval` holds the winning decision. */
export class AlreadyDecidedError extends GatehouseError {
  readonly approval: ApprovalRecord;
  constructor(message: string, approval: ApprovalRecord) {
    super(ErrorCode.AlreadyDecidedError, message);
    this.approval = approval;
  }
}

/** The actor may not do this (not an approver, self-approval, …). */
export class NotAllowedError extends GatehouseError {
  constructor(message: string) {
    super(ErrorCode.NotAllowedError, message);
  }
}

/** A request conflicts with what is stored (same id, different content, …). */
export class ConflictError extends GatehouseError {
  constructor(message: string) {
    super(ErrorCode.ConflictError, message);
  }
}

/** The same approval id asked again with different content: the old decision does not cover it. */
export class StaleRequestError extends ConflictError {
  readonly approval: ApprovalRecord;
  readonly differences: string[];
  constructor(approval: ApprovalRecord, differences: string[]) {
    super(
      `approval ${approval.id} already exists with different content (${differences.join(', ')}): use a new id to ask again`,
    );
    this.approval = approval;
    this.differences = differences;
  }
}

/** The store failed or lost a race it could not win after retrying. */
export class StoreError extends GatehouseError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.StoreError, message, options);
  }
}

/** The API refused the bearer token, or none was given (HTTP 401). */
export class UnauthorizedError extends GatehouseError {
  constructor(message: string) {
    super(ErrorCode.UnauthorizedError, message);
  }
}

/** The API could not be reached (refused, unknown host, reset): worth trying again. */
export class ConnectionError extends GatehouseError {
  readonly transient = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.ConnectionError, message, options);
  }
}

/**
 * The API failed (HTTP 5xx) or answered with something it never sends (not JSON, not the expected
 * shape). `transient` when a restarting server or its proxy said so (502, 503, 504).
 */
export class ServerError extends GatehouseError {
  readonly status: number | null;
  readonly transient: boolean;
  constructor(message: string, status: number | null, transient = false) {
    super(ErrorCode.ServerError, message);
    this.status = status;
    this.transient = transient;
  }
}

/** Turns anything thrown into a coded error, keeping the original as `cause`. */
export function asCodedError(error: unknown): GatehouseError {
  if (error instanceof GatehouseError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GatehouseError(ErrorCode.UnknownError, message, { cause: error });
}
