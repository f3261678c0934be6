import { DrizzleQueryError } from 'drizzle-orm/errors';
import { WardenError } from '../errors.js';

/** Where the database is, for messages: host, port, database and user, never the password. */
export interface DatabaseTarget {
  host: string;
  port: number;
  database: string;
  user: string;
}

/** The parts of DATABASE_URL a message may name (undefined for the embedded database or a bad URL). */
export function databaseTarget(url: string | undefined): DatabaseTarget | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return {
      host: decodeURIComponent(u.hostname) || 'localhost',
      port: Number(u.port || 5432),
      database: decodeURIComponent(u.pathname.slice(1)) || decodeURIComponent(u.username) || 'postgres',
      user: decodeURIComponent(u.username) || 'postgres',
    };
  } catch {
    return undefined;
  }
}

/** Errors of the connection itself (Node's socket errors and postgres.js's own codes). */
const CONNECTION_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection broken',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  CONNECT_TIMEOUT: 'timed out connecting',
  CONNECTION_CLOSED: 'connection closed',
  CONNECTION_ENDED: 'connection ended',
  CONNECTION_DESTROYED: 'connection destroyed',
};

/** PostgreSQL's SQLSTATEs for a server that is going away or not yet there. */
const SERVER_GONE: Record<string, string> = {
  '57P01': 'the server was shut down',
  '57P02': 'the server crashed',
  '57P03': 'the server is starting up or shutting down',
  '08000': 'connection failure',
  '08003': 'connection does not exist',
  '08006': 'connection failure',
  '53300': 'too many connections',
};

interface ErrorShape {
  name?: string;
  code?: string;
  message?: string;
  address?: string;
  port?: number;
  hostname?: string;
  severity?: string;
  cause?: unknown;
}

/** The error and its causes, outermost first. */
function chain(err: unknown): ErrorShape[] {
  const out: ErrorShape[] = [];
  for (
    let e = err as ErrorShape | undefined;
    e && typeof e === 'object' && out.length < 6;
    e = e.cause as ErrorShape
  )
    out.push(e);
  return out;
}

const firstLine = (text: string | undefined) => {
  const line = (text ?? '').split('\n')[0]!.trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
};

/**
 * The one line that says a failure is the database's, naming where it is (host, port, database,
 * user) and never the SQL, its parameters or a password; undefined when the error is not the
 * database's. A socket error counts as the database's when it comes from a query, from postgres.js,
 * or names the database's own address.
 */
export function describeDatabaseError(err: unknown, target?: DatabaseTarget): string | undefined {
  const errors = chain(err);
  const fromQuery = errors.some((e) => e instanceof DrizzleQueryError);
  const at = (e?: ErrorShape) => {
    const host = target?.host ?? e?.address ?? e?.hostname;
    const port = target?.port ?? e?.port;
    return host ? ` at ${host}${port ? `:${port}` : ''}` : '';
  };
  for (const e of errors) {
    const code = e.code ?? '';
    const connection = CONNECTION_CODES[code];
    const ours =
      fromQuery ||
      code.startsWith('CONNECT') ||
      (target !== undefined &&
        Number(e.port) === target.port &&
        (e.address === target.host || e.hostname === target.host || e.address === undefined));
    if (connection && ours) return `database unreachable${at(e)} (${connection})`;
    if ((code === 'ENOTFOUND' || code === 'EAI_AGAIN') && ours)
      return `database host ${JSON.stringify(e.hostname ?? target?.host ?? '?')} not found`;
    // PostgreSQL's own answers: a five-character SQLSTATE, with a severity from postgres.js or PGlite.
    if (/^[0-9A-Z]{5}$/.test(code) && (e.severity !== undefined || e.name === 'PostgresError' || fromQuery)) {
      if (code === '3D000')
        return `database ${JSON.stringify(target?.database ?? '?')} does not exist${at(e)}`;
      if (code === '28P01')
        return `password authentication failed for user ${JSON.stringify(target?.user ?? '?')}${at(e)}`;
      if (code.startsWith('28')) return `the database refused the login${at(e)}: ${firstLine(e.message)}`;
      if (SERVER_GONE[code]) return `database unavailable${at(e)} (${SERVER_GONE[code]})`;
      return `database error ${code}: ${firstLine(e.message)}`;
    }
  }
  if (fromQuery) {
    const cause = errors.find((e) => !(e instanceof DrizzleQueryError));
    return `database query failed: ${firstLine(cause?.message) || 'no reason given'}`;
  }
  return undefined;
}

/** The database failed: whatever was being done stops, and says so in one line. */
export class DatabaseFailure extends WardenError {
  constructor(summary: string, options?: { cause?: unknown }) {
    super('database', summary, options);
  }
}

/** SQLSTATEs of a transaction PostgreSQL chose to abort so that others could go on: safe to run again. */
const RETRYABLE = new Set(['40P01', '40001']);

/**
 * Runs `work` again when PostgreSQL aborted it as a deadlock's victim (or a serialization failure),
 * up to `attempts` times, after a short random wait. Only for work that is one transaction and
 * idempotent: an ingest statement, a regrouping, a conditional triage change. Two writers that lock
 * the same rows in different orders (a scan's statements by batch, a regrouping or a triage by id)
 * can deadlock; PostgreSQL then aborts one, and that one is run again.
 */
export async function retryOnDeadlock<T>(work: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const retryable = chain(err).some((e) => e.code !== undefined && RETRYABLE.has(e.code));
      if (!retryable || attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
    }
  }
}
