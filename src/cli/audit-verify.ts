import { existsSync } from 'node:fs';
import { type ExpectedEvent, parseExpected, type VerifyResult } from '../audit/verify.js';
import type { Config } from '../config.js';
import { withRuntime } from '../runtime.js';
import { type CommandModule, EXIT, UsageError } from './command.js';

/**
 * `warden audit verify`: the database's chain from event 1, or with `--file` an export, offline.
 * Every `--expect SEQ:HASH` (a head printed earlier) and, with `--anchors`, every head published in
 * the anchor bucket must still be in it with that hash.
 */
export const run: CommandModule['run'] = async (values, { config, io }) => {
  const expect = ((values.expect as unknown as string[] | undefined) ?? []).map(expected);
  const file = values.file as string | undefined;
  if (file && !existsSync(file)) throw new UsageError(`--file ${file}: no such file`);
  if (values.anchors && !config.anchors.bucket)
    throw new UsageError('--anchors reads the anchor bucket: set WARDEN_ANCHOR_BUCKET');
  const anchors = values.anchors ? await publishedAnchors(config) : undefined;
  const all = [...expect, ...(anchors?.expected ?? [])];
  const { verifyAuditChain, verifyEvents } = await import('../audit/verify.js');
  let result: VerifyResult;
  if (file) {
    const { exportedEvents } = await import('../audit/export-file.js');
    result = await verifyEvents(exportedEvents(file), { expect: all, from: 'given' });
  } else {
    result = await withRuntime(config, {}, ({ db }) => verifyAuditChain(db, all));
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
  const anchored = anchors ? `; ${anchors.expected.length} S3 anchors hold` : '';
  io.stdout(
    `ok: ${result.count} events${from}, head ${result.first + result.count - 1}:${result.head}${kept}${anchored}\n`,
  );
  if (anchors?.unlocked.length) {
    io.stdout(
      `not protected: ${anchors.unlocked.length} anchors are not under Object Lock in compliance mode: ${anchors.unlocked.join(', ')}\n`,
    );
    return EXIT.failed;
  }
  return EXIT.ok;
};

function expected(text: string): ExpectedEvent {
  const e = parseExpected(text);
  if (!e) throw new UsageError(`--expect takes SEQ:HASH, as verify prints a head (got ${text})`);
  return e;
}

/** The heads published in the anchor bucket, read with Warden's own AWS credentials. */
async function publishedAnchors(config: Config) {
  const [{ awsClientsFor }, anchors] = await Promise.all([
    import('../services.js'),
    import('../workflow/audit-anchor.js'),
  ]);
  const clients = awsClientsFor(config);
  try {
    return await anchors.publishedAnchors(clients, anchors.anchorPlace(config)!);
  } finally {
    clients.destroy();
  }
}
