import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { WardenError } from '../errors.js';
import type { ChainedEvent } from './verify.js';

/** Pages of this many events are handed to the verifier, so a large export is read in constant memory. */
const PAGE = 1000;

/**
 * The events of a `warden audit export --format jsonl` file, in the file's order. A line that is not
 * an exported event stops the reading with its line number.
 */
export async function* exportedEvents(file: string): AsyncGenerator<ChainedEvent[]> {
  const lines = createInterface({
    input: createReadStream(file, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let page: ChainedEvent[] = [];
  let n = 0;
  for await (const line of lines) {
    n += 1;
    if (!line.trim()) continue;
    page.push(parseExported(line, file, n));
    if (page.length === PAGE) {
      yield page;
      page = [];
    }
  }
  if (page.length) yield page;
}

function parseExported(line: string, file: string, n: number): ChainedEvent {
  const bad = (why: string) => new WardenError('usage', `${file}, line ${n}: ${why}`);
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw bad('not JSON (is this a --format jsonl export?)');
  }
  const text = (k: string) => {
    if (typeof r[k] !== 'string') throw bad(`"${k}" is missing or not text`);
    return r[k] as string;
  };
  if (!Number.isSafeInteger(r.seq)) throw bad('"seq" is missing or not a whole number');
  if (!r.details || typeof r.details !== 'object') throw bad('"details" is missing or not an object');
  const at = new Date(text('at'));
  if (Number.isNaN(at.getTime())) throw bad('"at" is not a time');
  return {
    seq: r.seq as number,
    at,
    actor: text('actor'),
    action: text('action'),
    subject: text('subject'),
    details: r.details as Record<string, unknown>,
    prevHash: text('prev_hash'),
    hash: text('hash'),
  };
}
