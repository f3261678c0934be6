import type { Logger } from '../log.js';
import type { JobDeps } from '../schedule/job.js';
import type { HandlerDeps } from '../slack/app.js';

/** What the scheduled jobs share with the Slack handlers: the same clients, directory and roles. */
export function jobDepsOf(
  h: Pick<HandlerDeps, 'db' | 'config' | 'clients' | 'web' | 'directory' | 'writeBack' | 'auditRoles'>,
  log: Logger,
  signal: AbortSignal = new AbortController().signal,
): JobDeps {
  return {
    signal,
    db: h.db,
    config: h.config,
    log,
    clients: h.clients,
    slack: { web: h.web, directory: h.directory },
    writeBack: h.writeBack,
    auditRoles: h.auditRoles,
  };
}
