import { existsSync } from 'node:fs';
import { type ExpectedEvent, parseExpected, type VerifyResult } from '../audit/verify.js';
import { withRuntime } from '../runtime.js';
import { type CommandModule, EXIT, UsageError } from './command.js';

/**
 * `warden audit verify`: the database's chain from event 1, or with `--file` an export, offline.
 * Every `--expect SEQ:HASH` (a head printed earlier, an anchor) must still be in it with that hash.
 */
export const run: CommandModule['run'] = async (values, { config, io }) => {
  const expect = ((values.expect as unknown as string[] | undefined) ?? []).map(expected);
  const file = values.file as string | undefined;
  const { verifyAuditChain, verifyEvents } = await import('../audit/verify.js');
  let result: VerifyResult;
  if (file) {
    if (!existsSync(file)) throw new UsageError(`--file ${file}: no such file`);
    const { exportedEvents } = await import('../audit/export-file.js');
    result = await verifyEvents(exportedEvents(file), { expect, from: 'given' });
  } else {
    result = await withRuntime(config, {}, ({ db }) => verifyAuditChain(db, expect));
  }
  if (!result.ok) {
    io.stdout(
      `broken: event ${result.brokenSeq}: ${result.reason} (${result.count} events before it verified)\n`,
    );
    return EXIT.failed;
  }
  const from = result.first > 1 ? ` (from event ${result.first}, its prev_hash taken as given)` : '';
  const kept = expect.length
    ? `; ${expect.length} expected event${expect.length > 1 ? 's' : ''} present`
    : '';
  io.stdout(
    `ok: ${result.count} events${from}, head ${result.first + result.count - 1}:${result.head}${kept}\n`,
  );
  return EXIT.ok;
};

function expected(text: string): ExpectedEvent {
  const e = parseExpected(text);
  if (!e) throw new UsageError(`--expect takes SEQ:HASH, as verify prints a head (got ${text})`);
  return e;
}
