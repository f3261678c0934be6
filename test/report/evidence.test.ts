import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { and, eq } from 'drizzle-orm';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { AssumedRoles, auditRoleSpec } from '../../src/aws/credentials.js';
import { chainHead } from '../../src/db/audit-events.js';
import { auditEvents, findings } from '../../src/db/schema.js';
import { complianceScopeNamed } from '../../src/posture/frameworks.js';
import { PLAYBOOKS } from '../../src/remediate/registry.js';
import { EVIDENCE_COLUMNS, evidenceCsv } from '../../src/report/csv.js';
import type { EvidencePack } from '../../src/report/evidence.js';
import { writeFiles } from '../../src/report/pack.js';
import { pdfText } from '../../src/report/pdf.js';
import { makeEvidencePack } from '../../src/workflow/evidence.js';
import { createRequest, decide } from '../../src/workflow/remediation.js';
import { preparePlan, runRequest } from '../../src/workflow/remediation-run.js';
import { suppress } from '../../src/workflow/triage.js';
import { complianceScenario } from '../support/compliance-scenario.js';
import { type ScanHarness, scanHarness } from '../support/scan-harness.js';

// The evidence pack of the hand-scored organization (test/support/compliance-scenario.ts) after a
// risk acceptance (prod's IAM.4 finding suppressed) and a remediation (dev's password policy fixed,
// then scanned again): the data checked by hand, then each file as an auditor opens it.

const { A: PROD, B: DEV } = complianceScenario;
const DAY = 86_400_000;
let h: ScanHarness;
let pack: EvidencePack;
let dir: string;
let files: string[];
const now = new Date();
const from = new Date(now.getTime() - 30 * DAY);
const to = new Date(now.getTime() + DAY);

const findingOf = async (account: string, where: ReturnType<typeof eq>) =>
  (
    await h.db.db
      .select()
      .from(findings)
      .where(and(eq(findings.accountId, account), where))
  )[0]!;

beforeAll(async () => {
  h = await scanHarness(complianceScenario.scenario(), { WARDEN_REMEDIATION_MODE: 'execute' });
  await h.scan({ full: true });
  const config = h.config;
  config.policy.admins = ['U0ADMIN'];

  const iam4 = await findingOf(PROD, eq(findings.controlId, 'IAM.4'));
  await suppress(h.db.db, {
    findingId: iam4.id,
    actor: 'U0ADMIN',
    reason: 'root key kept for the emergency runbook, rotated quarterly',
    expiresAt: new Date(now.getTime() + 60 * DAY),
    maxDays: 90,
  });

  const clients = new AwsClients({ maxAttempts: 2, maxSockets: 8 });
  try {
    const deps = {
      db: h.db.db,
      config,
      clients,
      auditRoles: new AssumedRoles(clients.sts(), auditRoleSpec(config.aws.auditRole, config.aws.partition)),
    };
    const weak = await findingOf(DEV, eq(findings.generatorId, 'warden/password-policy-weak'));
    const playbook = PLAYBOOKS.get('cis-password-policy')!;
    const { input, plan } = await preparePlan(deps, playbook, {
      finding: weak,
      requester: 'dev-owner@example.com',
      reason: 'CIS 1.8 and 1.9',
    });
    const request = await createRequest(
      h.db.db,
      { finding: weak, playbook, input, plan, reason: 'CIS 1.8 and 1.9', requestedBy: 'U0DEV' },
      config,
    );
    const decision = await decide(h.db.db, {
      requestId: request.id,
      who: { userId: 'U0ADMIN', email: 'admin@example.com' },
      decision: 'approve',
      config,
    });
    expect(decision.outcome).toBe('execute');
    await runRequest(deps, request.id);
  } finally {
    clients.destroy();
  }
  await h.scan({ full: true });

  const scope = await complianceScopeNamed(h.db.db, '');
  const made = await makeEvidencePack(h.db.db, {
    framework: config.frameworks.find((f) => f.id === 'cis-aws-3.0')!,
    scope: scope as Exclude<typeof scope, undefined | { ambiguous: string[] }>,
    from,
    to,
    generatedBy: 'auditor@example.com',
    actor: 'U0AUDIT',
    now,
  });
  pack = made.pack;
  dir = mkdtempSync(path.join(tmpdir(), 'warden-evidence-'));
  files = await writeFiles(made.files, dir);
}, 120_000);
afterAll(async () => {
  await h.close();
});

const requirement = (id: string) => pack.requirements.find((r) => r.id === id)!;
const inAccount = (id: string, account: string) =>
  requirement(id).accounts.find((a) => a.accountId === account)!;

describe('the evidence, as data', () => {
  test("the cover: framework, standard, scope, period, who and when, the audit chain's head", async () => {
    expect(pack.framework).toMatchObject({
      id: 'cis-aws-3.0',
      name: 'CIS AWS Foundations Benchmark',
      version: '3.0.0',
    });
    expect(pack.standard).toEqual({
      id: complianceScenario.CIS30,
      name: 'CIS AWS Foundations Benchmark v3.0.0',
    });
    expect(pack.scope).toMatchObject({ kind: 'organization', title: 'the organization' });
    expect([...pack.scope.accountIds].sort()).toEqual([PROD, DEV]);
    expect(pack.generatedBy).toBe('auditor@example.com');
    // The head before the pack was made: the next event is the pack's own (report.generated).
    const [before] = await h.db.db.select().from(auditEvents).where(eq(auditEvents.seq, pack.auditHead!.seq));
    expect(pack.auditHead).toEqual({ seq: before!.seq, hash: before!.hash });
    expect((await chainHead(h.db.db))!.seq).toBe(pack.auditHead!.seq + 1);
  });

  test('each requirement per account, with its evaluations and the failing resources of the period', async () => {
    // Dev's password policy was fixed and scanned again: 1.8 and 1.9 now fail in prod only.
    expect(pack.summary.counts).toEqual({ failed: 4, unknown: 1, passed: 7, 'no-data': 24, manual: 26 });
    expect(inAccount('1.8', DEV)).toMatchObject({ status: 'passed' });
    expect(inAccount('1.8', DEV).findings).toEqual([
      expect.objectContaining({
        controlId: 'password-policy-weak',
        status: 'resolved',
        resolvedAt: expect.any(Date),
      }),
    ]);
    expect(inAccount('1.8', PROD)).toMatchObject({ status: 'failed' });
    expect(inAccount('1.8', PROD).findings.map((f) => [f.controlId, f.status, f.resolvedAt])).toEqual([
      ['password-policy-weak', 'open', null],
    ]);
    // IAM.4 fails in one of prod's two regions: one failing evaluation, one passing; its finding is suppressed.
    expect(inAccount('1.4', PROD).controls).toEqual(
      expect.arrayContaining([{ id: 'IAM.4', status: 'failed', failed: 1, passed: 1 }]),
    );
    expect(inAccount('1.4', PROD).findings.map((f) => [f.controlId, f.status])).toEqual([
      ['IAM.4', 'suppressed'],
    ]);
    expect(requirement('1.1')).toMatchObject({ status: 'manual', controls: [], checks: [] });
    // prod fails 1.4, 1.8 and 1.9; dev fails 2.1.4 and passes 1.4, 1.8, 1.9 and 5.6 besides the checks.
    expect(pack.accounts.map((a) => [a.name, a.counts.failed, a.counts.unknown, a.counts.passed])).toEqual([
      ['dev', 1, 0, 10],
      ['prod', 3, 1, 7],
    ]);
  });

  test("the standard's score at the period's end: the organization's and each OU's with their weekly trend, each account's", () => {
    expect(pack.standardScores.map((s) => [s.title, s.atEnd?.score, s.trend.length > 0])).toEqual([
      ['the organization', 2500, true],
      ['Root/Development', 6667, true],
      ['Root/Production', 3333, true],
      ['prod', 3333, false],
      ['dev', 6667, false],
    ]);
    // A point a week over the 31 days, the period's end last; the scans ran today: no score before.
    const trend = pack.standardScores[1]!.trend;
    expect(trend.map((t) => t.at.getTime() - from.getTime())).toEqual(
      [7, 14, 21, 28, 31].map((d) => d * DAY),
    );
    expect(trend.map((t) => t.score)).toEqual([null, null, null, null, 6667]);
  });

  test('exceptions, remediations with their decisions, calls and verification, and the audit events', () => {
    expect(pack.exceptions).toEqual([
      expect.objectContaining({
        accountId: PROD,
        controlId: 'IAM.4',
        reason: 'root key kept for the emergency runbook, rotated quarterly',
        by: 'U0ADMIN',
        liftedAt: null,
      }),
    ]);
    expect(pack.remediations).toEqual([
      expect.objectContaining({
        accountId: DEV,
        playbook: 'cis-password-policy',
        requestedBy: 'U0DEV',
        status: 'succeeded',
        decisions: [expect.objectContaining({ by: 'U0ADMIN', decision: 'approve' })],
        calls: [
          { call: 'iam:GetAccountPasswordPolicy', account: DEV, region: 'global', ok: true },
          { call: 'iam:UpdateAccountPasswordPolicy', account: DEV, region: 'global', ok: true },
        ],
        verification: expect.objectContaining({ ok: true }),
      }),
    ]);
    const actions = pack.audit.events.map((e) => e.action);
    for (const a of [
      'finding.suppressed',
      'remediation.requested',
      'remediation.call',
      'remediation.verified',
    ])
      expect(actions).toContain(a);
    expect(pack.audit.events.map((e) => e.seq)).toEqual(
      [...pack.audit.events.map((e) => e.seq)].sort((x, y) => x - y),
    );
    expect(pack.audit.verification).toMatchObject({ ok: true, head: pack.auditHead!.hash });
  });
});

test('making the pack is audited: who, which framework, scope and period, and each file’s SHA-256', async () => {
  const [event] = await h.db.db.select().from(auditEvents).where(eq(auditEvents.action, 'report.generated'));
  expect(event).toMatchObject({
    actor: 'U0AUDIT',
    subject: 'framework:cis-aws-3.0',
    seq: pack.auditHead!.seq + 1,
  });
  const details = event!.details as { files: Array<{ name: string; sha256: string }>; scope: unknown };
  expect(details.scope).toEqual({ kind: 'organization', id: '' });
  for (const f of details.files)
    expect(
      createHash('sha256')
        .update(readFileSync(path.join(dir, f.name)))
        .digest('hex'),
    ).toBe(f.sha256);
  expect(details.files).toHaveLength(4);
});

describe('the files', () => {
  test('HTML, PDF, CSV and a manifest holding each file’s SHA-256', () => {
    const names = readdirSync(dir).sort();
    const lastDay = new Date(to.getTime() - 1);
    const base = `evidence-cis-aws-3.0-${from.toISOString().slice(0, 10)}-${lastDay.toISOString().slice(0, 10)}`;
    expect(names).toEqual([`${base}.csv`, `${base}.html`, `${base}.manifest.json`, `${base}.pdf`]);
    expect(files.map((f) => path.basename(f)).sort()).toEqual(names);
    const manifest = JSON.parse(readFileSync(path.join(dir, `${base}.manifest.json`), 'utf8'));
    expect(manifest.auditHead).toEqual(pack.auditHead);
    for (const f of manifest.files) {
      const content = readFileSync(path.join(dir, f.name));
      expect(f.bytes).toBe(content.length);
      expect(f.sha256).toBe(createHash('sha256').update(content).digest('hex'));
    }
    expect(manifest.files).toHaveLength(3);
  });

  test('the CSV: one row per requirement, account and failing resource or evaluation, safe to open in a spreadsheet', () => {
    const csv = readFileSync(files.find((f) => f.endsWith('.csv'))!, 'utf8');
    const rows = parse(csv, { columns: true }) as Array<Record<(typeof EVIDENCE_COLUMNS)[number], string>>;
    expect(Object.keys(rows[0]!)).toEqual([...EVIDENCE_COLUMNS]);
    const prodRoot = rows.filter((r) => r.requirement === '1.4' && r.account_name === 'prod');
    expect(
      prodRoot.map((r) => [
        r.account_status,
        r.control,
        r.control_status,
        r.failing_evaluations,
        r.finding_status,
      ]),
    ).toEqual([['failed', 'IAM.4', 'failed', '1', 'suppressed']]);
    expect(rows.filter((r) => r.requirement === '1.1').map((r) => r.account_status)).toEqual([
      'manual',
      'manual',
    ]);
    // A resource name that a spreadsheet would run as a formula is written inert.
    const forged = structuredClone(pack);
    forged.requirements[0]!.accounts[0]!.findings.push({
      ...inAccount('1.4', PROD).findings[0]!,
      resourceId: '=HYPERLINK("http://evil.example","click")',
    });
    forged.requirements[0]!.accounts[0]!.findings = forged.requirements[0]!.accounts[0]!.findings.map(
      (f) => ({
        ...f,
        firstSeenAt: new Date(f.firstSeenAt),
        resolvedAt: f.resolvedAt ? new Date(f.resolvedAt) : null,
      }),
    );
    const cells = (parse(evidenceCsv(forged)) as string[][]).flat();
    expect(cells).toContain(`'=HYPERLINK("http://evil.example","click")`);
    expect(cells.some((c) => c.startsWith('=HYPERLINK'))).toBe(false);
  });

  test('the PDF holds the same content, as text', () => {
    const text = execFileSync('pdftotext', ['-layout', files.find((f) => f.endsWith('.pdf'))!, '-'], {
      encoding: 'utf8',
    }).replace(/\s+/g, ' ');
    expect(text).toContain('Evidence pack: CIS AWS Foundations Benchmark 3.0.0');
    expect(text).toContain(`Audit chain head: ${pack.auditHead!.seq}:${pack.auditHead!.hash}`);
    expect(text).toContain(
      '58% of requirements passing: 7 passed, 4 failed, 1 unknown, 24 without data, 26 manual.',
    );
    expect(text).toContain("1.4 Ensure no 'root' user account access key exists: Failed");
    expect(text).toContain(
      '"root key kept for the emergency runbook, rotated quarterly", accepted by U0ADMIN',
    );
    expect(text).toContain('Call iam:UpdateAccountPasswordPolicy in 222222222222 (global): ok');
    expect(text).toContain('The whole chain verified at generation');
    expect(text).toContain("1.5 Ensure MFA is enabled for the 'root' user account: Passed");
    expect(text).toContain('Passed in 2 accounts: dev, prod');
  });
});

test("the PDF's text: Windows-1252 as written, any other character as ?", () => {
  expect(pdfText('Ensure no ‘root’ key … 5 € · naïve')).toBe('Ensure no ‘root’ key … 5 € · naïve');
  expect(pdfText('bucket-東京-data ✓')).toBe('bucket-??-data ?');
});

describe('the HTML, in a real browser (Debian chromium)', () => {
  test('self-contained, the cover, statuses and audit as an auditor sees them, each part on its own printed page', async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const requested: string[] = [];
      page.on('request', (r) => requested.push(r.url()));
      const file = files.find((f) => f.endsWith('.html'))!;
      await page.goto(`file://${file}`);
      // Nothing but the file itself: no stylesheet, font, image or script from anywhere.
      expect(requested).toEqual([`file://${file}`]);
      expect(await page.locator('h1').textContent()).toBe(
        'Evidence pack: CIS AWS Foundations Benchmark 3.0.0',
      );
      expect(await page.locator('#audit-head').textContent()).toBe(
        `${pack.auditHead!.seq}:${pack.auditHead!.hash}`,
      );
      expect(await page.locator('#summary').textContent()).toContain('58% of requirements passing');
      expect(await page.locator('.requirement[data-status="failed"]').count()).toBe(4);
      expect(await page.locator('.requirement[data-status="manual"]').count()).toBe(26);
      const root = page.locator('[id="req-1.4"]');
      expect(await root.locator('h3').textContent()).toBe(
        "1.4 Ensure no 'root' user account access key exists Failed",
      );
      expect(await root.locator('tbody tr', { hasText: 'prod' }).textContent()).toContain(
        'IAM.4: failed (1 failing, 1 passing)',
      );
      // Accounts where a requirement holds, with nothing failing in the period, are one line, not rows.
      const mfa = page.locator('[id="req-1.5"]');
      expect(await mfa.locator('tbody tr').count()).toBe(0);
      expect(await mfa.locator('p.note').last().textContent()).toBe('Passed in 2 accounts: dev, prod');
      // dev passes 1.8 now, but its resolved finding of the period is evidence: it keeps its row.
      expect(await page.locator('[id="req-1.8"] tbody tr', { hasText: 'dev' }).textContent()).toMatch(
        /password-policy-weak .*resolved \d{4}-\d{2}-\d{2}/,
      );
      expect(await page.locator('#exceptions tbody tr').count()).toBe(1);
      expect(await page.locator('#remediations tbody tr').first().textContent()).toContain('verified: yes');
      expect(await page.locator('#access-reviews').textContent()).toContain('None in the period.');
      expect(await page.locator('#audit-verification').textContent()).toContain(
        'The whole chain verified at generation',
      );
      expect(await page.locator('#audit-events tbody tr').count()).toBe(pack.audit.events.length);
      // A failed status is drawn white on red, whatever the page's width.
      const failed = page.locator('.status.failed').first();
      expect(
        await failed.evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el).backgroundColor),
      ).toBe('rgb(176, 0, 32)');
      const shot = await page.screenshot({ fullPage: true });
      expect(shot.subarray(1, 4).toString()).toBe('PNG');
      expect(shot.length).toBeGreaterThan(50_000);
      // Printed, each part starts a page.
      await page.emulateMedia({ media: 'print' });
      const breaks = await page
        .locator('section')
        .evaluateAll((sections) =>
          sections.map((s) => [s.id, s.ownerDocument.defaultView!.getComputedStyle(s).breakBefore]),
        );
      expect(breaks).toEqual([
        ['cover', 'auto'],
        ['scores', 'page'],
        ['requirements', 'page'],
        ['exceptions', 'page'],
        ['remediations', 'page'],
        ['access-reviews', 'page'],
        ['audit', 'page'],
      ]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
