import { afterAll, beforeAll, expect, test } from 'vitest';
import { complianceScenario } from '../support/compliance-scenario.js';
import { type ScanHarness, scanHarness } from '../support/scan-harness.js';
import { type SlackHarness, slackHarness } from '../support/slack-harness.js';

// From a real scan of the hand-scored organization (test/scan/compliance-scores.test.ts) to what
// /compliance shows in Slack.

let h: ScanHarness;
let s: SlackHarness;

beforeAll(async () => {
  h = await scanHarness(complianceScenario.scenario());
  await h.scan({ full: true });
  s = await slackHarness(h.db.db);
  s.slack.users.set('U0ALICE', 'alice@example.com');
});
afterAll(async () => {
  await s.close();
  await h.close();
});

let asked = 0;
async function compliance(text: string) {
  const id = `c${asked++}`;
  expect((await s.command('/compliance', text, 'U0ALICE', id)).status).toBe(200);
  return s.answer(id);
}

test("/compliance shows each enabled standard's score for the organization", async () => {
  const { args } = await compliance('');
  expect(args.text).toBe('Compliance of the organization');
  const shown = JSON.stringify(args.blocks);
  expect(shown).toContain(
    '*CIS AWS Foundations Benchmark v3.0.0* (`cis-3.0`): *25%* of controls passing · 1 passed, 2 failed, 1 unknown · 4 without data, 0 disabled',
  );
  expect(shown).toContain('*AWS Foundational Security Best Practices v1.0.0* (`fsbp`): *25%*');
  expect(shown).toContain('*CIS AWS Foundations Benchmark v1.2.0* (`cis-1.2`): *100%*');
  // By name, as the weekly digest lists them.
  expect(shown.indexOf('Best Practices')).toBeLessThan(shown.indexOf('v1.2.0'));
  expect(shown.indexOf('v1.2.0')).toBeLessThan(shown.indexOf('v3.0.0'));
  expect(shown).not.toContain('Failing controls');
});

test('/compliance <standard> adds its failing controls and the accounts they fail in', async () => {
  const { args } = await compliance('cis-3.0');
  expect(args.text).toBe('Compliance of the organization · CIS AWS Foundations Benchmark v3.0.0');
  const shown = JSON.stringify(args.blocks);
  expect(shown).not.toContain('fsbp');
  expect(shown).toContain('Failing controls (2), most widely failed first');
  expect(shown).toContain('• `IAM.4` IAM root user access key should not exist: fails in 1 account (prod)');
  expect(shown).toContain(
    '• `S3.8` S3 general purpose buckets should block public access: fails in 1 account (dev)',
  );
});

test('/compliance [standard] <account or OU> scores that scope only', async () => {
  const account = JSON.stringify((await compliance('cis-3.0 prod')).args.blocks);
  expect(account).toContain(
    '*33%* of controls passing · 1 passed, 1 failed, 1 unknown · 4 without data, 1 disabled',
  );
  expect(account).toContain('fails in 1 account (prod)');
  expect(account).not.toContain('S3.8');
  const ou = await compliance('Development');
  expect((await compliance('Root')).args.text).toBe('Compliance of the organization');
  expect(ou.args.text).toBe('Compliance of Root/Development');
  expect(JSON.stringify(ou.args.blocks)).toContain('(`cis-1.2`): *100%*');
});

test('an argument that names nothing gets the usage and the standards it knows, and changes nothing', async () => {
  const { text } = await compliance('soc2 nowhere');
  expect(text).toContain('Usage: `/compliance [standard] [account|OU]`');
  expect(text).toContain('No standard, account or OU matches soc2 nowhere.');
  expect(text).toContain('`cis-1.2`, `fsbp`, `cis-3.0`');
});
