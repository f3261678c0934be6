import { type DestinationStream, type Logger, pino } from 'pino';
import type { LogLevel } from './config.js';
import { redactSecrets } from './secrets.js';

export type { Logger };

/** The root logger; modules take `log.child({ mod: 'collect.securityhub' })`. Logs go to stderr. */
export function createLogger(
  level: LogLevel,
  destination: DestinationStream = pino.destination({ dest: 2, sync: true }),
): Logger {
  // Should a secret ever reach a log call, it is masked at any depth, in the line as written: its
  // fields, a child logger's bindings, an error's own properties. Config values are logged only
  // through describeConfig(), which never includes them in the first place.
  return pino(
    {
      level,
      base: { app: 'warden' },
      hooks: { streamWrite: (line) => `${JSON.stringify(redactSecrets(JSON.parse(line)))}\n` },
    },
    destination,
  );
}

/** A logger that writes to a file (created or appended to), for commands whose terminal output is for people. */
export function fileLogger(level: LogLevel, file: string): Logger {
  return createLogger(level, pino.destination({ dest: file, sync: true, mkdir: true }));
}
