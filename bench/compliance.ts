// npm run bench:compliance — frameworks and the evidence pack at an organization's size, on
// PostgreSQL (DATABASE_URL): builds 1,000 accounts in 10 OUs with FSBP and CIS v3.0.0 on in 3 regions
// (control statuses for every account, standard and control; Warden's 8 checks per account), the
// findings of the failing controls (~35,000, a third resolved in the period) among 200,000 others,
// suppressions, remediation requests, 2,000 audit events and 13 weeks of compliance snapshots,
// straight into the schema's own tables. Then times `/compliance cis-aws-3.0` (organization, an OU)
// and one evidence pack for the organization and 90 days (data, HTML, PDF, CSV), and prints the
// files' sizes and the process's peak RSS. Prints figures; asserts nothing.
import { resourceUsage } from 'node:process';
import { sql as rawSql } from 'drizzle-orm';
import { complianceCommand } from '../commands/compliance.js';
import { appendAudit } from '../src/audit/trail.js';
import { loadConfig } from '../src/config.js';
import { postgresHandle } from '../src/db/client.js';
import { WARDEN_CHECK_IDS } from '../src/findings/checks.js';
import { complianceScopeNamed } from '../src/posture/frameworks.js';
import { evidenceCsv } from '../src/report/csv.js';
import { buildEvidence } from '../src/report/evidence.js';
import { evidenceHtml } from '../src/report/html.js';
import { evidencePdf } from '../src/report/pdf.js';
import { benchHandlerDeps, commandAsker, timed } from './handlers.js';
import { withScratchDatabase } from './scratch-database.js';

const ACCOUNTS = 1000;
const OUS = 10;
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
const FSBP = 'standards/aws-foundational-security-best-practices/v/1.0.0';
const CIS30 = 'standards/cis-aws-foundations-benchmark/v/3.0.0';
const DAY = 86_400_000;

const config = loadConfig({ LOG_LEVEL: 'silent' });
const cis = config.frameworks.find((f) => f.id === 'cis-aws-3.0')!;
const cisControls = [...new Set(cis.requirements.flatMap((r) => r.controls))];
/** FSBP: CIS v3.0.0's controls and 220 more. */
const fsbpControls = [...cisControls, ...Array.from({ length: 220 }, (_, i) => `Svc${i % 40}.${i}`)];

await withScratchDatabase('bench:compliance', async (url, kept) => {
  if (!kept) await buildDataset(url);
  else console.log('dataset: kept from an earlier run (BENCH_KEEP_DATABASE)');
  await measure(url);
});

async function buildDataset(url: string) {
  const build = postgresHandle(url, { max: 1 });
  const t0 = performance.now();
  const sql = (text: string) => build.db.execute(rawSql.raw(text));
  const list = (xs: string[]) => `array[${xs.map((x) => `'${x}'`).join(',')}]`;
  await sql(`insert into accounts (id, name, state, ou_id, ou_path, tags)
    select lpad((100000000000 + i)::text, 12, '0'), 'account-' || i, 'ACTIVE', 'ou-' || (i % ${OUS}),
           'Root/OU-' || (i % ${OUS}), '{}'::jsonb
    from generate_series(0, ${ACCOUNTS - 1}) i`);
  for (const [standard, controls] of [
    [FSBP, fsbpControls],
    [CIS30, cisControls],
  ] as const) {
    await sql(`insert into standard_controls (standard_id, control_id, title, requirements, updated_at)
      select '${standard}', c, 'Control ' || c, '[]'::jsonb, now() from unnest(${list(controls)}) c`);
    await sql(`insert into enabled_standards (account_id, region, standard_id, subscription_arn, status, read_at)
      select a.id, r, '${standard}', 'arn:subscription', 'READY', now()
      from accounts a, unnest(${list(REGIONS)}) r`);
    // 70% passed, 15% failed, 5% unknown, 10% without data.
    await sql(`insert into control_statuses (account_id, standard_id, control_id, security_control_id, status,
        failed, unknown, passed, updated_at)
      select a.id, '${standard}', c, c, s.status, case when s.status = 'failed' then 1 + k % 5 else 0 end,
        case when s.status = 'unknown' then 1 else 0 end, case when s.status = 'passed' then 1 + k % 20 else 0 end, now()
      from (select id, row_number() over (order by id) as n from accounts) a
        cross join lateral unnest(${list(controls)}) with ordinality as x(c, k)
        cross join lateral (select case when (a.n * 7 + k * 13) % 20 < 14 then 'passed'
          when (a.n * 7 + k * 13) % 20 < 17 then 'failed' when (a.n * 7 + k * 13) % 20 < 18 then 'unknown'
          else 'no-data' end as status) s`);
  }
  await sql(`insert into control_results (source, product_arn, external_id, account_id, region, control_id,
      resource_id, status, evidence, evaluated_at, last_seen_at)
    select 'credential-report', '', 'warden:' || c || ':' || a.id, a.id, 'global', c, a.id,
      case when (a.n + k) % 5 = 0 then 'FAILED' else 'PASSED' end,
      jsonb_build_object('failing', case when (a.n + k) % 5 = 0 then 1 + k % 3 else 0 end), now(), now()
    from (select id, row_number() over (order by id) as n from accounts) a
      cross join lateral unnest(${list([...WARDEN_CHECK_IDS])}) with ordinality as x(c, k)`);
  // The failing CIS controls' findings (1-3 per failed account and control, per region): open, or
  // resolved during the period; and 200,000 findings of other controls.
  await sql(`insert into findings (source, product_arn, external_id, account_id, region, resource_id, control_id,
      generator_id, title, severity, status, first_seen_at, last_seen_at, resolved_at, status_changed_at)
    select 'securityhub', 'arn:aws:securityhub:us-east-1::product/aws/securityhub',
      'cis-' || cs.account_id || '-' || cs.control_id || '-' || r || '-' || j, cs.account_id, r,
      'arn:aws:resource:' || r || ':' || cs.account_id || ':' || cs.control_id || '/' || j, cs.control_id,
      'security-control/' || cs.control_id, 'Control ' || cs.control_id || ' failed', 'high',
      case when j % 3 = 2 then 'resolved' else 'open' end, now() - ((j * 17 % 120) || ' days')::interval, now(),
      case when j % 3 = 2 then now() - ((j * 11 % 60) || ' days')::interval end, now()
    from control_statuses cs, unnest(${list(REGIONS)}) r, generate_series(0, 2) j
    where cs.standard_id = '${CIS30}' and cs.status = 'failed' and (hashtext(cs.account_id || cs.control_id || r) % 3 + 3) % 3 >= j`);
  await sql(`insert into findings (source, product_arn, external_id, account_id, region, resource_id, control_id,
      generator_id, title, severity, status, first_seen_at, last_seen_at, status_changed_at)
    select 'securityhub', 'arn:aws:securityhub:us-east-1::product/aws/securityhub', 'other-' || i,
      lpad((100000000000 + (i % ${ACCOUNTS}))::text, 12, '0'), 'us-east-1', 'arn:aws:s3:::other-' || i,
      'Svc' || (i % 40) || '.' || (i % 220), 'security-control/Svc.' || i, 'Other control failed', 'medium',
      'open', now() - ((i % 90) || ' days')::interval, now(), now()
    from generate_series(1, 200000) i`);
  await sql(`insert into suppressions (finding_id, reason, created_by, created_at, expires_at)
    select id, 'accepted: compensating control ' || id, 'U0RISK', now() - interval '20 days', now() + interval '40 days'
    from findings where external_id like 'cis-%' and id % 100 = 0`);
  await sql(`insert into remediation_requests (finding_id, account_id, playbook_id, plan, reason, requested_by,
      requested_at, status, expires_at, mode, result)
    select id, account_id, 'cis-password-policy', '[]'::jsonb, 'fix ' || id, 'U0OWNER', now() - interval '10 days',
      'succeeded', now() - interval '9 days', 'execute',
      jsonb_build_object('calls', jsonb_build_array(jsonb_build_object('call', 'iam:UpdateAccountPasswordPolicy',
        'account', account_id, 'region', 'global', 'ok', true)), 'verification', jsonb_build_object('ok', true))
    from findings where external_id like 'cis-%' and id % 200 = 1`);
  await sql(`insert into remediation_decisions (request_id, decided_by, decision, decided_at)
    select id, 'U0ADMIN', 'approve', requested_at + interval '1 hour' from remediation_requests`);
  await sql(`insert into scans (kind, trigger, status, started_at, finished_at, heartbeat_at)
    values ('full', 'schedule', 'completed', now() - interval '1 hour', now() - interval '50 minutes', now())`);
  await sql(`insert into compliance_snapshots (scan_id, taken_at, scope, scope_id, standard_id, passed, failed,
      unknown, no_data, disabled, score)
    select 1, now() - (w || ' weeks')::interval, s.scope, s.scope_id, st, 20 + w, 5, 1, 3, 0,
      round(10000.0 * (20 + w) / (26 + w))::int
    from generate_series(0, 12) w, unnest(array['${FSBP}', '${CIS30}']) st,
      (select 'organization' as scope, '' as scope_id union all
       select 'ou', 'Root/OU-' || o from generate_series(0, ${OUS - 1}) o union all
       select 'account', id from accounts) s`);
  for (let i = 0; i < 2000; i++)
    await appendAudit(build.db, {
      actor: 'U0OWNER',
      action: 'finding.acknowledged',
      subject: `finding:${i + 1}`,
      at: new Date(Date.now() - (2000 - i) * 3_600_000),
    });
  await sql('vacuum analyze');
  const [counts] = (await build.db.execute(
    rawSql.raw(`select (select count(*) from findings) as findings,
      (select count(*) from findings where external_id like 'cis-%') as cis,
      (select count(*) from control_statuses) as statuses`),
  )) as unknown as Array<Record<string, string>>;
  await build.close();
  console.log(
    `dataset: ${ACCOUNTS} accounts, ${Number(counts!.statuses).toLocaleString('en')} control statuses, ` +
      `${Number(counts!.findings).toLocaleString('en')} findings (${Number(counts!.cis).toLocaleString('en')} of CIS controls), ` +
      `2,000 audit events; built in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
}

async function measure(url: string) {
  const handle = postgresHandle(url);
  const ask = commandAsker(complianceCommand(benchHandlerDeps(config, handle.db)));
  await timed('/compliance (every standard, organization)', 20, () => ask(''));
  await timed('/compliance cis-aws-3.0 (organization)', 20, () => ask('cis-aws-3.0'));
  await timed('/compliance cis-aws-3.0 Root/OU-3', 20, () => ask('cis-aws-3.0 Root/OU-3'));
  await timed('/compliance cis-aws-3.0 <account>', 20, () => ask('cis-aws-3.0 100000000007'));

  const scope = await complianceScopeNamed(handle.db, '');
  if (!scope || 'ambiguous' in scope) throw new Error('no organization');
  const now = new Date();
  const request = {
    framework: cis,
    scope,
    from: new Date(now.getTime() - 90 * DAY),
    to: now,
    generatedBy: 'bench',
    now,
  };
  // With NODE_OPTIONS=--expose-gc, what is alive (after a collection) beside what the process holds.
  const gc = (globalThis as { gc?: () => void }).gc;
  const rss = () => {
    gc?.();
    const m = process.memoryUsage();
    return `${(m.rss / 1e6).toFixed(0)} MB${gc ? ` (heap alive ${(m.heapUsed / 1e6).toFixed(0)} MB)` : ''}`;
  };
  console.log(`RSS before the pack ${rss()}`);
  let t = performance.now();
  const pack = await buildEvidence(handle.db, request);
  const built = performance.now() - t;
  console.log(`RSS with the pack's data ${rss()}`);
  t = performance.now();
  const html = evidenceHtml(pack);
  const htmlMs = performance.now() - t;
  t = performance.now();
  const pdf = await evidencePdf(pack);
  const pdfMs = performance.now() - t;
  console.log(`RSS after the PDF ${rss()}`);
  t = performance.now();
  const csv = evidenceCsv(pack);
  const csvMs = performance.now() - t;
  const findings = pack.requirements.reduce(
    (n, r) => n + r.accounts.reduce((m, a) => m + a.findings.length, 0),
    0,
  );
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
  console.log(
    `evidence pack, organization, 90 days: data ${(built / 1000).toFixed(1)} s (${findings.toLocaleString('en')} finding rows, ` +
      `${pack.audit.events.length.toLocaleString('en')} audit events), HTML ${(htmlMs / 1000).toFixed(1)} s ${mb(html.length)}, ` +
      `PDF ${(pdfMs / 1000).toFixed(1)} s ${mb(pdf.length)}, CSV ${(csvMs / 1000).toFixed(1)} s ${mb(csv.length)}`,
  );
  console.log(`peak RSS ${(resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  await handle.close();
}
