import { type Logger, pino } from 'pino';

/** Keys whose values never reach a log line, wherever they appear. */
const REDACT = [
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'clientSecret',
  'stateSecret',
  'refreshToken',
  'apiToken',
  'apiKey',
  'password',
  'smtpUrl',
  'authorization',
  '*.token',
  '*.botToken',
  '*.appToken',
  '*.signingSecret',
  '*.clientSecret',
  '*.stateSecret',
  '*.refreshToken',
  '*.apiToken',
  '*.apiKey',
  '*.password',
  '*.smtpUrl',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
];

/**
 * Logs at `level`, secrets redacted: JSON lines on stdout, or human-readable lines (pino-pretty)
 * when `pretty` — by default when stdout is a terminal, so a person running Gatehouse reads it and
 * a log collector gets JSON. An explicit `destination` always gets JSON.
 */
export function createLogger(
  level: string,
  destination?: pino.DestinationStream,
  { pretty = destination === undefined && process.stdout.isTTY === true }: { pretty?: boolean } = {},
): Logger {
  const options = { level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'gatehouse' } };
  if (pretty) {
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname,service' } },
    });
  }
  return pino(options, destination);
}
