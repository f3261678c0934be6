// npm run bench:ingest — how fast findings go into PostgreSQL (DATABASE_URL) through Warden's own
// ingest statement, by how many findings one statement carries: a Security Hub page (100), and the
// batches the scan's ingest queue gathers across targets (BENCH_INGEST_BATCHES picks some). Findings
// are laid out as bench:scan's organization holds them: 50 for each account and region, pages in
// target order, so a statement touches the counts of a few accounts. Writers run at once, as a
// scan's targets do. Prints figures; asserts nothing.
import { sql } from 'drizzle-orm';
import pMap from 'p-map';
import { postgresHandle } from '../src/db/client.js';
import { ingestFindings } from '../src/db/findings.js';
import type { Finding } from '../src/findings/finding.js';
import { SEVERITIES } from '../src/findings/severity.js';
import { withScratchDatabase } from './scratch-database.js';

const FINDINGS = Number(process.env.BENCH_INGEST_FINDINGS ?? 200_000);
const WRITERS = Number(process.env.BENCH_INGEST_WRITERS ?? 4);
const BATCHES = (process.env.BENCH_INGEST_BATCHES ?? '100,500,1000,2000').split(',').map(Number);
const PER_TARGET = 50;

function finding(i: number, round: number): Finding {
  const target = Math.floor(i / PER_TARGET);
  const account = String(100000000000 + Math.floor(target / 4));
  return {
    source: 'securityhub',
    productArn: 'arn:aws:securityhub:us-east-1::product/aws/securityhub',
    externalId: `arn:aws:securityhub:us-east-1:${account}:security-control/S3.${i % 20}/finding/${i}`,
    accountId: account,
    region: ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-2'][target % 4]!,
    resourceType: 'AwsS3Bucket',
    resourceId: `arn:aws:s3:::bucket-${i}`,
    controlId: `S3.${i % 20}`,
    generatorId: `security-control/S3.${i % 20}`,
    title: `S3 general purpose buckets should block public access (${i % 20})`,
    description: 'This control checks whether the bucket blocks public access at the bucket level.',
    severity: SEVERITIES[i % 5]!,
    compliance: 'FAILED',
    awsWorkflowStatus: 'NEW',
    firstObservedAt: new Date('2026-11-01T00:00:00Z'),
    sourceUpdatedAt: new Date(Date.UTC(2026, 10, 1 + round)),
    remediationText: 'Block public access on the bucket.',
    remediationUrl: 'https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html',
    evidence: { Resources: [{ Type: 'AwsS3Bucket', Id: `arn:aws:s3:::bucket-${i}` }], round },
    failing: true,
  };
}

/** `n` findings from `start` as pages of one target each, as the scan's targets hand them over. */
function pagesOf(start: number, n: number, round: number): Finding[][] {
  return Array.from({ length: Math.ceil(n / PER_TARGET) }, (_, p) =>
    Array.from({ length: Math.min(PER_TARGET, n - p * PER_TARGET) }, (_, k) =>
      finding(start + p * PER_TARGET + k, round),
    ),
  );
}

await withScratchDatabase('bench:ingest', async (url) => {
  const handle = postgresHandle(url, { max: WRITERS + 1 });
  console.log(
    `${FINDINGS.toLocaleString('en')} findings of ${Math.ceil(FINDINGS / PER_TARGET / 4).toLocaleString('en')} accounts in 4 regions, ${WRITERS} writers at once, PostgreSQL at ${new URL(url).host}`,
  );
  for (const batch of BATCHES) {
    await handle.db.execute(sql`truncate findings cascade`);
    const rates: string[] = [];
    // Round 0 inserts every finding; round 1 refreshes them all (a scan's usual work).
    for (const round of [0, 1]) {
      const batches = Array.from({ length: Math.ceil(FINDINGS / batch) }, (_, b) => b);
      const t0 = performance.now();
      await pMap(
        batches,
        (b) =>
          ingestFindings(
            handle.db,
            pagesOf(b * batch, Math.min(batch, FINDINGS - b * batch), round),
            1 + round,
            new Date(),
          ),
        { concurrency: WRITERS },
      );
      const perSecond = FINDINGS / ((performance.now() - t0) / 1000);
      rates.push(`${round === 0 ? 'new' : 'refreshed'} ${Math.round(perSecond).toLocaleString('en')}/s`);
    }
    console.log(`${String(batch).padStart(5)} findings a statement: ${rates.join(', ')}`);
  }
  await handle.close();
});
