// How fast this machine is right now. Its speed drifts by ±15% within an hour (the same scan took
// Warden 58 s of CPU one run and 71 s the next), so a bench prints the time a fixed piece of work
// takes beside its figures: runs compare fairly only at a similar speed.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

/** The fixed work, in ms: a 1 MB document of findings-like records parsed, serialized and hashed 20 times; the best of five. */
function fixedWork(): number {
  const document = JSON.stringify(
    Array.from({ length: 1_000 }, (_, i) => ({
      Id: `arn:aws:securityhub:us-east-1:${100_000_000_000 + i}:security-control/S3.${i % 20}/finding/${i}`,
      Title: 'S3 general purpose buckets should block public access',
      Description: 'This control checks whether an S3 general purpose bucket blocks public access. '.repeat(
        4,
      ),
      Resources: [{ Type: 'AwsS3Bucket', Id: `arn:aws:s3:::bucket-${i}`, Region: 'us-east-1' }],
      Compliance: { Status: i % 2 ? 'PASSED' : 'FAILED', RelatedRequirements: ['NIST.800-53.r5 AC-3'] },
    })),
  );
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) {
      const text = JSON.stringify(JSON.parse(document));
      createHash('sha256').update(text).digest('hex');
    }
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/**
 * The fixed work's time in a fresh process (this file run by itself), so that it does not depend on
 * the state of the caller's heap.
 */
export function machineSpeed(): number {
  const self = fileURLToPath(import.meta.url);
  // Node's own defaults, not the caller's flags; run from source (tsx) the file needs tsx too.
  const loader = self.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const out = execFileSync(process.execPath, [...loader, self, '--measure'], { encoding: 'utf8' });
  return Number(out.trim());
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--measure') {
  process.stdout.write(fixedWork().toFixed(1));
}
