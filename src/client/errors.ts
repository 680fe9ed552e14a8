import {
  AlreadyDecidedError,
  ConflictError,
  ConnectionError,
  type FieldIssue,
  type GatehouseError,
  NotAllowedError,
  NotFoundError,
  ServerError,
  StaleRequestError,
  UnauthorizedError,
  ValidationError,
} from '../errors.js';
import type { Approval } from './types.js';

/** A body too large for the API (HTTP 413): a validation error of the whole body. */
export class PayloadTooLargeError extends ValidationError {
  constructor(message: string) {
    super([{ field: 'body', message }]);
  }
}

/** Statuses a restarting server or its proxy answers with: worth trying again while waiting. */
const TRANSIENT_STATUSES = new Set([502, 503, 504]);

/** Plain words for the network errors Node's fetch reports in `cause.code`. */
const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
};

/** What the API's error bodies hold (src/http/errors.ts). */
interface ErrorBody {
  error?: unknown;
  message?: unknown;
  issues?: unknown;
  approval?: unknown;
  differences?: unknown;
}

const isApproval = (value: unknown): value is Approval =>
  typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string';

/**
 * The one place HTTP statuses become coded errors: 400 ValidationError (its `issues`), 401
 * UnauthorizedError, 403 NotAllowedError, 404 NotFoundError, 409 AlreadyDecidedError (with the
 * winning decision) / StaleRequestError / ConflictError, 413 PayloadTooLargeError, 5xx ServerError.
 * `subject` names what was asked for (`approval "deploy-42"`) for a 404 without a message.
 */
export function errorFromResponse(
  status: number,
  json: unknown,
  subject: { what: string; id: string },
): GatehouseError {
  const body = (typeof json === 'object' && json !== null ? json : {}) as ErrorBody;
  const said = typeof body.message === 'string' ? body.message : `HTTP ${status}`;
  if (status === 400) return new ValidationError(fieldIssues(body.issues) ?? [{ field: 'body', message: said }]);
  if (status === 401) return new UnauthorizedError(said);
  if (status === 403) return new NotAllowedError(said);
  if (status === 404)
    return new NotFoundError(subject.what, subject.id, typeof body.message === 'string' ? said : undefined);
  if (status === 409) {
    if (body.error === 'already_decided' && isApproval(body.approval)) {
      return new AlreadyDecidedError(said, withVersion(body.approval));
    }
    if (body.error === 'stale_request' && isApproval(body.approval) && Array.isArray(body.differences)) {
      return new StaleRequestError(withVersion(body.approval), body.differences.map(String));
    }
    return new ConflictError(said);
  }
  if (status === 413) return new PayloadTooLargeError(said);
  if (status >= 500)
    return new ServerError(`Gatehouse failed (HTTP ${status}): ${said}`, status, TRANSIENT_STATUSES.has(status));
  return new ValidationError([{ field: 'request', message: `HTTP ${status}: ${said}` }]);
}

/** An answer that is not JSON: a proxy's error page, or something else listening at the URL. */
export function notJsonError(url: string, status: number): ServerError {
  return new ServerError(
    `${url} answered HTTP ${status} with something that is not JSON: is GATEHOUSE_URL the Gatehouse server?`,
    status,
    TRANSIENT_STATUSES.has(status),
  );
}

/** A failed fetch (nothing listening, unknown host, reset) in plain words. */
export function connectionError(url: string, error: unknown): ConnectionError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const known = cause?.code ? NETWORK_REASONS[cause.code] : undefined;
  const reason = known ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return new ConnectionError(`cannot reach Gatehouse at ${url}: ${reason}`, { cause: error });
}

/** True for errors worth trying again after a pause: unreachable, restarting, overloaded. */
export function isTransient(error: unknown): boolean {
  return (error instanceof ConnectionError || error instanceof ServerError) && error.transient;
}

/** What an aborted call rejects with: the signal's reason, as an Error. */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new DOMException(reason === undefined ? 'This operation was aborted' : String(reason), 'AbortError');
}

function fieldIssues(issues: unknown): FieldIssue[] | null {
  if (!Array.isArray(issues) || issues.length === 0) return null;
  return issues.map((issue: { field?: unknown; message?: unknown }) => ({
    field: String(issue?.field ?? 'body'),
    message: String(issue?.message ?? 'is not valid'),
  }));
}

// The coded errors carry stored records; over HTTP the version counter is not shown.
const withVersion = (approval: Approval) => ({ ...approval, version: 0 });
