import { afterAll, beforeAll, expect, test } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { AssumedRoles, auditRoleSpec } from '../../src/aws/credentials.js';
import { createLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { generateScenario } from '../../src/sim/scenarios.js';
import { runScan, type ScanEnvironment } from '../../src/workflow/scan.js';
import { type ScanHarness, scanHarness } from '../support/scan-harness.js';

// What a long-running server hands every scan: the audit role's credentials, kept from one scan to
// the next until they near expiry (an hourly scan assumes no role again), and the metrics `/metrics`
// shows: scan phases, targets by source and outcome, findings stored, AWS calls by operation.

let h: ScanHarness;
let env: ScanEnvironment;
const metrics = new Metrics();

beforeAll(async () => {
  const scenario = generateScenario({
    accounts: 3,
    regions: ['us-east-1', 'eu-west-1'],
    failedPerAccountRegion: 4,
  });
  scenario.accounts[2]!.roles = { audit: false };
  h = await scanHarness(scenario);
  const clients = new AwsClients({ maxAttempts: h.config.aws.scan.maxAttempts, maxSockets: 16, metrics });
  env = {
    db: h.db.db,
    config: h.config,
    log: createLogger('silent'),
    clients,
    reportPollBaseMs: 5,
    metrics,
    auditRoles: new AssumedRoles(
      clients.sts(),
      auditRoleSpec(h.config.aws.auditRole, h.config.aws.partition),
    ),
  };
});
afterAll(async () => {
  env.clients.destroy();
  await h.close();
});

const value = (text: string, series: string) =>
  Number(new RegExp(`^${series.replace(/[{}"|.]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);

test('a second scan reuses the audit role credentials of the first: no AssumeRole call', async () => {
  await runScan(env, { trigger: 'cli', full: true });
  // Each account once (the refused one too: its refusal is remembered for a while).
  expect(h.sim.world.calls('AssumeRole')).toBe(3);
  h.sim.world.resetCalls();
  await runScan(env, { trigger: 'schedule' });
  expect(h.sim.world.calls('AssumeRole')).toBe(0);
  expect(h.sim.world.calls('GetFindings')).toBeGreaterThan(0);
});

test('the metrics count the scans’ phases, targets, findings and AWS calls', async () => {
  const text = await metrics.text();
  const stored = (await h.rows()).length;
  // Two accounts × two regions of Security Hub and two credential reports per scan succeed;
  // the third account's targets fail (its audit role is missing).
  expect(value(text, 'warden_scan_targets_total{source="securityhub",outcome="ok"}')).toBe(8);
  expect(value(text, 'warden_scan_targets_total{source="securityhub",outcome="failed"}')).toBe(4);
  expect(value(text, 'warden_findings_ingested_total{source="securityhub"}')).toBeGreaterThanOrEqual(
    stored - 2 * 10,
  );
  expect(
    value(text, 'warden_aws_calls_total{service="securityhub",operation="GetFindings"}'),
  ).toBeGreaterThan(0);
  expect(value(text, 'warden_aws_calls_total{service="sts",operation="AssumeRole"}')).toBe(3);
  // Every attempt is timed, the refused one too.
  expect(value(text, 'warden_aws_call_seconds_count{service="sts",operation="AssumeRole"}')).toBe(3);
  expect(value(text, 'warden_aws_call_seconds_count{service="securityhub",operation="GetFindings"}')).toBe(
    value(text, 'warden_aws_calls_total{service="securityhub",operation="GetFindings"}'),
  );
  expect(
    value(text, 'warden_aws_call_seconds_sum{service="securityhub",operation="GetFindings"}'),
  ).toBeGreaterThan(0);
  expect(value(text, 'warden_scan_phase_seconds_count{kind="full",phase="collect"}')).toBe(1);
  expect(value(text, 'warden_scan_phase_seconds_count{kind="incremental",phase="discovery"}')).toBe(1);
  expect(value(text, 'warden_scan_targets_queued')).toBe(0);
  expect(value(text, 'warden_scan_oldest_queued_target_age_seconds')).toBe(0);
  expect(text).not.toMatch(/\{[^}]*\d{12}[^}]*\}/); // no account id in any label
});
