import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import type { ApprovalRecord } from '../approvals/types.js';
import {
  AlreadyDecidedError,
  ConflictError,
  NotAllowedError,
  NotFoundError,
  StaleRequestError,
  ValidationError,
} from '../errors.js';

/** body-parser's errors carry a `type` and a `status`. */
interface BodyParserError {
  type?: string;
  status?: number;
  message: string;
}

/** Maps coded errors to statuses in one place; anything unexpected is a logged 500 that leaks nothing. */
export function errorHandler(logger: Logger, present: (approval: ApprovalRecord) => unknown): ErrorRequestHandler {
  return (error: unknown, _req, res, _next) => {
    const parserError = error as BodyParserError;
    if (parserError?.type === 'entity.too.large') {
      res.status(413).json({ error: 'payload_too_large', message: 'the request body is larger than the limit (1 MB)' });
    } else if (parserError?.type === 'entity.parse.failed') {
      res.status(400).json({
        error: 'invalid_request',
        message: 'the body is not valid JSON',
        issues: [{ field: 'body', message: `not valid JSON: ${parserError.message}` }],
      });
    } else if (error instanceof ValidationError) {
      res.status(400).json({ error: 'invalid_request', message: error.message, issues: error.issues });
    } else if (error instanceof NotFoundError) {
      res.status(404).json({ error: 'not_found', message: error.message });
    } else if (error instanceof AlreadyDecidedError) {
      res.status(409).json({ error: 'already_decided', message: error.message, approval: present(error.approval) });
    } else if (error instanceof StaleRequestError) {
      res.status(409).json({
        error: 'stale_request',
        message: error.message,
        differences: error.differences,
        approval: present(error.approval),
      });
    } else if (error instanceof ConflictError) {
      res.status(409).json({ error: 'conflict', message: error.message });
    } else if (error instanceof NotAllowedError) {
      res.status(403).json({ error: 'forbidden', message: error.message });
    } else if (typeof parserError?.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
      res.status(parserError.status).json({ error: 'bad_request', message: parserError.message });
    } else {
      logger.error({ err: error }, 'request failed');
      res.status(500).json({ error: 'internal', message: 'Gatehouse could not complete the request' });
    }
  };
}
