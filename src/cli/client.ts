import { PayloadTooLargeError } from '../client/errors.js';
import { GatehouseClient, type GatehouseClientOptions } from '../client/index.js';
import {
  ConflictError,
  type GatehouseError,
  NotAllowedError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from '../errors.js';
import { CliError } from './errors.js';

export { DEFAULT_URL, readEnv } from '../client/index.js';

/**
 * The typed client for a command: `--url` when given (else `GATEHOUSE_URL`, else the default). A
 * URL that is not http(s) is the user's mistake, so it is a CliError naming the variable.
 */
export function cliClient(url: string | undefined, options: GatehouseClientOptions): GatehouseClient {
  try {
    return new GatehouseClient({ ...options, url: url ?? options.url });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new CliError(`--url / GATEHOUSE_URL ${error.issues[0]?.message ?? error.message}`);
  }
}

/** A coded error of the client in the CLI's plain words (e.g. `the server refused the token (…): set GATEHOUSE_API_TOKEN`). */
export function describeClientError(error: GatehouseError, hasToken: boolean): string {
  if (error instanceof PayloadTooLargeError) return `the request is too large: ${error.issues[0]?.message}`;
  if (error instanceof ValidationError) return `the server refused the request: ${error.message}`;
  if (error instanceof UnauthorizedError) {
    return `the server refused the token (${error.message}): ${hasToken ? 'check' : 'set'} GATEHOUSE_API_TOKEN`;
  }
  if (error instanceof NotAllowedError) return `not allowed: ${error.message}`;
  if (error instanceof NotFoundError) return `not found: ${error.message}`;
  if (error instanceof ConflictError) return `conflict: ${error.message}`;
  // ConnectionError, ServerError and the rest already say it in plain words.
  return error.message;
}
