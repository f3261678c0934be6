import { type DestinationStream, type Logger, pino } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

/**
 * Field paths pino masks in every line, should a secret ever reach a log call. Config values are
 * logged only through describeConfig(), which never includes them in the first place.
 */
const REDACT_PATHS = [
  '*.token',
  '*.botToken',
  '*.appToken',
  '*.signingSecret',
  '*.password',
  '*.secretAccessKey',
  '*.SecretAccessKey',
  '*.sessionToken',
  '*.SessionToken',
  'headers.authorization',
  'headers["x-slack-signature"]',
];

/** The root logger; modules take `log.child({ mod: 'collect.securityhub' })`. Logs go to stderr. */
export function createLogger(
  level: LogLevel,
  destination: DestinationStream = pino.destination({ dest: 2, sync: true }),
): Logger {
  return pino(
    { level, base: { app: 'warden' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    destination,
  );
}

/** A logger that writes to a file (created or appended to), for commands whose terminal output is for people. */
export function fileLogger(level: LogLevel, file: string): Logger {
  return createLogger(level, pino.destination({ dest: file, sync: true, mkdir: true }));
}
