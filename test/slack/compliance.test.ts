import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { reportPeriod } from '../../commands/compliance.js';
import { auditEvents } from '../../src/db/schema.js';
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

test('/compliance <standard> with a framework mapping it shows its requirements and the failing ones, each opening its findings', async () => {
  const { args } = await compliance('cis-3.0');
  expect(args.text).toBe('Compliance of the organization · CIS AWS Foundations Benchmark 3.0.0');
  const shown = JSON.stringify(args.blocks);
  expect(shown).not.toContain('fsbp');
  // frameworks/cis-aws-3.0.yaml: 62 recommendations, 26 with nothing automated mapped (manual).
  // Failed: 1.4 (IAM.4 fails in prod), 1.8 and 1.9 (Warden's password-policy check fails in both
  // accounts: the simulator sets no password policy), 2.1.4 (S3.8 fails in dev). Unknown: 2.3.1
  // (RDS.3 cannot decide in prod). Passed: 1.5, 1.7, 1.10, 1.12, 1.13, 1.14 (Warden's checks pass in
  // both) and 5.6 (EC2.8 passes in dev). The other 24 automated ones have no evaluation.
  expect(shown).toContain(
    '*CIS AWS Foundations Benchmark 3.0.0*: *58%* of requirements passing · 7 passed, 4 failed, 1 unknown · 24 without data, 26 manual',
  );
  expect(shown).toContain('Failing requirements (4), most widely failed first');
  const lines = (args.blocks as Array<{ text?: { text: string }; accessory?: { value: string } }>).filter(
    (b) => b.accessory,
  );
  expect(lines.map((b) => [b.text!.text, JSON.parse(b.accessory!.value).q])).toEqual([
    [
      '`1.8` Ensure IAM password policy requires minimum length of 14 or greater · `password-policy-weak`\nfails in 2 accounts (dev, prod)',
      'password-policy-weak',
    ],
    [
      '`1.9` Ensure IAM password policy prevents password reuse · `password-policy-weak`\nfails in 2 accounts (dev, prod)',
      'password-policy-weak',
    ],
    ["`1.4` Ensure no 'root' user account access key exists · `IAM.4`\nfails in 1 account (prod)", 'IAM.4'],
    [
      "`2.1.4` Ensure that S3 Buckets are configured with 'Block public access (bucket settings)' · `S3.8`\nfails in 1 account (dev)",
      'S3.8',
    ],
  ]);

  // The requirement's Findings button lists its failing findings, with their actions.
  const iam4 = lines[2]!.accessory!.value;
  expect((await s.click('findings-open', iam4, 'U0ALICE', 'drill1')).status).toBe(200);
  const page = await s.answer('drill1');
  expect(page.args.replace_original).toBe(false);
  const listed = JSON.stringify(page.args.blocks);
  expect(listed).toContain('IAM root user access key should not exist');
  expect(listed).toContain('prod');
  expect(listed).not.toContain('S3 general purpose buckets');
  expect(listed).toContain('"action_id":"finding-acknowledge"');
});

test('/compliance <standard> that no framework maps lists its failing controls, each opening its findings', async () => {
  const { args } = await compliance('fsbp');
  const shown = JSON.stringify(args.blocks);
  expect(shown).toContain('Failing controls (2), most widely failed first');
  expect(shown).toContain('`IAM.4` IAM root user access key should not exist\\nfails in 1 account (prod)');
  expect(shown).toContain('{\\"q\\":\\"S3.8\\"}');
});

test('a framework by its id: Security Hub related requirements, without text, read from the findings', async () => {
  const { args } = await compliance('nist-800-53-r5 prod');
  expect(args.text).toBe('Compliance of prod (111111111111) · NIST SP 800-53 Rev. 5');
  const shown = JSON.stringify(args.blocks);
  // IAM.4 (failing in prod) relates to AC-2(1), AC-3(15), AC-3(7), AC-6, AC-6(10) and AC-6(2).
  expect(shown).toContain('`AC-2(1)` · `IAM.4`\\nfails in 1 account (prod)');
  expect(shown).toContain('{\\"q\\":\\"IAM.4 111111111111\\"}');
  expect(shown).not.toContain('S3.8');
});

test('/compliance [standard] <account or OU> scores that scope only', async () => {
  const account = JSON.stringify((await compliance('cis-3.0 prod')).args.blocks);
  expect(account).toContain(
    '*33%* of controls passing · 1 passed, 1 failed, 1 unknown · 4 without data, 1 disabled',
  );
  expect(account).toContain(
    "`1.4` Ensure no 'root' user account access key exists · `IAM.4`\\nfails in 1 account (prod)",
  );
  expect(account).not.toContain('S3.8');
  const ou = await compliance('Development');
  expect((await compliance('Root')).args.text).toBe('Compliance of the organization');
  expect(ou.args.text).toBe('Compliance of Root/Development');
  expect(JSON.stringify(ou.args.blocks)).toContain('(`cis-1.2`): *100%*');
});

test('an argument that names nothing gets the usage and the standards it knows, and changes nothing', async () => {
  const { text } = await compliance('soc2 nowhere');
  expect(text).toContain('Usage: `/compliance [standard|framework] [account|OU]`');
  expect(text).toContain('No standard, framework, account or OU matches soc2 nowhere.');
  expect(text).toContain('`cis-1.2`, `fsbp`, `cis-3.0`, `cis-aws-3.0`, `nist-800-53-r5`, `pci-dss-4.0.1`');
});

describe('/compliance report', () => {
  test('an auditor gets the evidence pack in a direct message: a line, and its four files in the thread', async () => {
    s.slack.users.set('U0AUDIT', 'auditor@example.com');
    s.config.policy.auditors = ['auditor@example.com'];
    try {
      const posts = s.slack.callsTo('chat.postMessage').length;
      expect((await s.command('/compliance', 'report cis-aws-3.0 30d', 'U0AUDIT', 'rep1')).status).toBe(200);
      const [making, done] = await Promise.all([s.answer('rep1'), s.answer('rep1', 2)]);
      expect(making.args.text).toMatch(
        /^Making the evidence pack of CIS AWS Foundations Benchmark 3\.0\.0 for the organization, \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}: it arrives in your direct messages\.$/,
      );
      expect(done.args.text).toMatch(
        /^:white_check_mark: The evidence pack is in your direct messages: `evidence-cis-aws-3\.0-/,
      );
      const [dm] = (await s.slack.waitFor('chat.postMessage', posts + 1)).slice(-1);
      expect(dm!.args.channel).toBe('U0AUDIT');
      expect(String(dm!.args.text)).toContain(
        'Evidence pack: CIS AWS Foundations Benchmark 3.0.0, the organization',
      );
      const [complete] = (await s.slack.waitFor('files.completeUploadExternal')).slice(-1);
      expect(String(complete!.args.channel_id)).toMatch(/^D/);
      expect(complete!.args.thread_ts).toBeDefined();
      const listed = complete!.args.files;
      const ids = ((typeof listed === 'string' ? JSON.parse(listed) : listed) as Array<{ id: string }>).map(
        (f) => f.id,
      );
      const uploaded = ids.map((id) => s.slack.uploads.get(id)!);
      expect(uploaded).toHaveLength(4);
      const manifest = JSON.parse(uploaded.find((b) => b.toString().startsWith('{'))!.toString());
      for (const f of manifest.files) {
        const match = uploaded.find((b) => createHash('sha256').update(b).digest('hex') === f.sha256);
        expect(match?.length).toBe(f.bytes);
      }
      expect(manifest.generatedBy).toBe('auditor@example.com (Slack U0AUDIT)');
      const [event] = await h.db.db
        .select()
        .from(auditEvents)
        .where(eq(auditEvents.action, 'report.generated'));
      expect(event).toMatchObject({ actor: 'U0AUDIT', subject: 'framework:cis-aws-3.0' });
    } finally {
      s.config.policy.auditors = [];
    }
  });

  test('a standard no framework maps is reported control by control', async () => {
    s.config.policy.admins = ['U0ALICE'];
    try {
      expect((await s.command('/compliance', 'report fsbp 2026-Q3', 'U0ALICE', 'rep2')).status).toBe(200);
      expect((await s.answer('rep2')).text).toContain(
        'Making the evidence pack of AWS Foundational Security Best Practices v1.0.0 for the organization, 2026-07-01 to 2026-09-30',
      );
      expect((await s.answer('rep2', 2)).text).toContain('`evidence-fsbp-2026-07-01-2026-09-30.html`');
    } finally {
      s.config.policy.admins = [];
    }
  });

  test('anyone but the admins, managers and auditors is refused, the refusal audited, and nothing is made', async () => {
    const uploads = s.slack.callsTo('files.getUploadURLExternal').length;
    expect((await s.command('/compliance', 'report cis-aws-3.0', 'U0ALICE', 'rep3')).status).toBe(200);
    expect((await s.answer('rep3')).args.text).toBe(
      ':no_entry: You cannot make an evidence pack: evidence packs are for the admins, managers and auditors.',
    );
    const denied = await h.db.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'permission.denied'));
    expect(denied.at(-1)).toMatchObject({ actor: 'U0ALICE' });
    expect(s.slack.callsTo('files.getUploadURLExternal')).toHaveLength(uploads);
  });

  test('an unknown framework or a period it cannot read gets the usage, and nothing is made', async () => {
    s.config.policy.managers = ['alice@example.com'];
    try {
      const unknown = await compliance('report soc2');
      expect(unknown.text).toContain('No framework or standard is called soc2. Known: `cis-aws-3.0`');
      const badPeriod = await compliance('report cis-aws-3.0 2026-13-45 2026-01-01');
      expect(badPeriod.text).toContain('That period is not one I can read.');
      expect((await compliance('report cis-aws-3.0 90d nowhere')).text).toContain(
        'No account or OU matches nowhere.',
      );
    } finally {
      s.config.policy.managers = [];
    }
  });
});

describe('the period of /compliance report', () => {
  const now = new Date('2026-12-02T10:00:00Z');
  const period = (text: string) => {
    const p = reportPeriod(text.split(' ').filter(Boolean), now);
    return p && [p.from.toISOString().slice(0, 10), p.to.toISOString().slice(0, 10), p.used];
  };
  test('the last N days, today included; a quarter; two days, both included; by default 90 days', () => {
    expect(period('30d')).toEqual(['2026-11-03', '2026-12-03', 1]);
    expect(period('2026-Q3')).toEqual(['2026-07-01', '2026-10-01', 1]);
    expect(period('2026-09-01 2026-11-30 Prod')).toEqual(['2026-09-01', '2026-12-01', 2]);
    expect(period('Prod')).toEqual(['2026-09-04', '2026-12-03', 0]);
    expect(period('')).toEqual(['2026-09-04', '2026-12-03', 0]);
  });
  test('what is not a period is refused', () => {
    for (const bad of [
      '0d',
      '9999d',
      '2026-Q5',
      '2026-11-30 2026-09-01',
      '2026-09-01',
      '2026-02-30 2026-03-01',
      '12',
    ])
      expect(period(bad)).toBeUndefined();
  });
});
