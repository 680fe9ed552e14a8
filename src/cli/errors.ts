/** What the `gatehouse` command exits with. */
export const ExitCode = {
  /** Approved, or the command did what it was asked. */
  Ok: 0,
  /** Rejected or cancelled. */
  Rejected: 1,
  /** The approval timed out with no decision. */
  Timeout: 2,
  /** Bad flags, an HTTP error, an unreachable server. */
  Error: 3,
  /** `approval get`: still pending. */
  Pending: 4,
  /** Stopped by SIGINT or SIGTERM (128 + 2, as shells report it). */
  Interrupted: 130,
} as const;

/** A failure worth telling the user in plain words; never printed with a stack. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = ExitCode.Error) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
