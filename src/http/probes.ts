import type { Database } from '../db/client.js';
import { checkSchema } from '../db/status.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';

/** What a GET route answers: a status, a content type and a body. */
export interface Answer {
  status: number;
  type: string;
  body: string;
}

/**
 * GET /healthz: ok when the database answers and its schema is current. Anyone may ask: the answer
 * says ok or not, and the reason goes to the log only.
 */
export async function healthAnswer(deps: { db: Database; log: Logger }): Promise<Answer> {
  const status = await checkSchema(deps.db);
  if (!status.ok) deps.log.warn({ detail: status.detail }, 'health check: unhealthy');
  const body = JSON.stringify({ status: status.ok ? 'ok' : 'unhealthy' });
  return { status: status.ok ? 200 : 503, type: 'application/json', body };
}

/** GET /metrics: Prometheus's scrape, counts and durations by kind, nothing that names an account or a person. */
export async function metricsAnswer(deps: { metrics: Metrics }): Promise<Answer> {
  return { status: 200, type: deps.metrics.contentType, body: await deps.metrics.text() };
}
