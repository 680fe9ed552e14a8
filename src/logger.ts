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

/** JSON lines on stdout at `level`, secrets redacted. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'gatehouse' } }, destination);
}
