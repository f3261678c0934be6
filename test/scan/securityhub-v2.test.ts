import {
  type AwsSecurityFinding,
  BatchUpdateFindingsV2Command,
  GetFindingsV2Command,
} from '@aws-sdk/client-securityhub';
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, test } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { AssumedRoles, auditRoleSpec } from '../../src/aws/credentials.js';
import { fromAsff } from '../../src/collect/securityhub.js';
import { fromOcsf, ocsfIdentity } from '../../src/collect/securityhub-v2.js';
import { loadConfig } from '../../src/config.js';
import { ingestFindings } from '../../src/db/findings.js';
import { auditEvents, controlResults, type Finding, suppressions } from '../../src/db/schema.js';
import { countFindings } from '../../src/posture/findings-list.js';
import type { Scenario } from '../../src/sim/scenario.js';
import { generateScenario } from '../../src/sim/scenarios.js';
import { toAsff } from '../../src/sim/services/securityhub.js';
import { findingBlocks, type ShownFinding } from '../../src/slack/blocks/finding.js';
import {
  reopenExpiredSuppressions,
  writeBackRoles,
  writeBackWorkflow,
} from '../../src/workflow/securityhub-sync.js';
import { acknowledge, assign, suppress } from '../../src/workflow/triage.js';
import { type ScanHarness, scanHarness } from '../support/scan-harness.js';

// The new Security Hub (OCSF, GetFindingsV2) read from the delegated administrator, beside Security
// Hub CSPM: chosen by DescribeSecurityHubV2, mapped to the same finding model, synced in full and by
// modification time, written back with BatchUpdateFindingsV2, and one issue with CSPM's copy.

let h: ScanHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const ADMIN = '100000000000';

function organization(v2: boolean): Scenario {
  const s = generateScenario({
    accounts: 3,
    regions: ['us-east-1', 'eu-west-1'],
    failedPerAccountRegion: 4,
    passedPerAccountRegion: 2,
    usersPerAccount: 0,
  });
  s.securityHub = { adminAccountId: ADMIN, aggregationRegion: 'us-east-1', standards: ['fsbp'], v2 };
  return s;
}

const aggregator = (api?: string) => ({
  WARDEN_SECURITYHUB_MODE: 'aggregator',
  WARDEN_SECURITYHUB_ADMIN_ACCOUNT: ADMIN,
  WARDEN_AGGREGATION_REGION: 'us-east-1',
  ...(api ? { WARDEN_SECURITYHUB_API: api } : {}),
});

/** What the simulator holds failing now, as (account, control, resource). */
function failingInSim(harness: ScanHarness): string[] {
  return [...harness.sim.world.allFindings()]
    .filter((f) => f.recordState === 'ACTIVE' && f.compliance !== 'PASSED' && f.workflow !== 'RESOLVED')
    .map((f) => `${f.account}|${f.control}|${f.resourceId}`)
    .sort();
}
const securityHubRows = async (harness: ScanHarness) =>
  (await harness.rows()).filter((r) => r.source === 'securityhub');
const problemOf = (r: Finding) => `${r.accountId}|${r.controlId}|${r.resourceId}`;

describe('reading the new Security Hub', () => {
  test('auto finds it on and reads the organization through GetFindingsV2: the same problems as CSPM, passing evaluations too', async () => {
    h = await scanHarness(organization(true), aggregator());
    await h.scan({ full: true });
    expect(h.sim.world.calls('DescribeSecurityHubV2', ADMIN)).toBe(1);
    expect(h.sim.world.calls('GetFindingsV2', ADMIN)).toBeGreaterThan(0);
    expect(h.sim.world.calls('GetFindings')).toBe(0);
    const rows = await securityHubRows(h);
    expect(
      rows
        .filter((r) => r.status === 'open')
        .map(problemOf)
        .sort(),
    ).toEqual(failingInSim(h));
    expect(rows.every((r) => (r.evidence as { ocsf?: unknown }).ocsf)).toBe(true);
    // Every control evaluation, passing or not, is a control result (the standards' evidence).
    const evaluations = [...h.sim.world.allFindings()].filter((f) => f.recordState === 'ACTIVE').length;
    expect(await h.db.db.$count(controlResults, eq(controlResults.source, 'securityhub'))).toBe(evaluations);
  });

  test('an incremental sync asks for what was modified since and resolves what passed', async () => {
    h = await scanHarness(organization(true), aggregator('v2'));
    await h.scan({ full: true });
    const [open] = (await securityHubRows(h)).filter((r) => r.status === 'open');
    const record = [...h.sim.world.allFindings()].find(
      (f) => `${f.account}|${f.control}|${f.resourceId}` === problemOf(open!),
    )!;
    h.sim.world.updateFinding(record.id, { compliance: 'PASSED' });
    h.sim.world.resetCalls();
    await h.scan();
    const asked = h.sim.world.callLog.filter((c) => c.operation === 'GetFindingsV2').at(-1)!;
    expect(JSON.stringify(asked.params)).toContain('finding_info.modified_time_dt');
    const after = (await securityHubRows(h)).find((r) => r.id === open!.id)!;
    expect(after.status).toBe('resolved');
  });

  test('without the new Security Hub, auto reads Security Hub CSPM', async () => {
    h = await scanHarness(organization(false), aggregator());
    await h.scan({ full: true });
    expect(h.sim.world.calls('GetFindingsV2')).toBe(0);
    expect(h.sim.world.calls('GetFindings', ADMIN)).toBeGreaterThan(0);
    expect(
      (await securityHubRows(h))
        .filter((r) => r.status === 'open')
        .map(problemOf)
        .sort(),
    ).toEqual(failingInSim(h));
  });

  test('read by OU, only the accounts of that OU (and the OUs below it) are read and vouched for', async () => {
    const s = organization(true);
    s.ous = [
      { id: 'ou-root-prod0001', name: 'Production', parent: 'r-root' },
      { id: 'ou-prod-web00001', name: 'Web', parent: 'ou-root-prod0001' },
      { id: 'ou-root-dev00001', name: 'Development', parent: 'r-root' },
    ];
    s.accounts[1]!.parent = 'ou-prod-web00001';
    s.accounts[2]!.parent = 'ou-root-dev00001';
    h = await scanHarness(s, { ...aggregator('v2'), WARDEN_SECURITYHUB_SCOPE_OUS: 'ou-root-prod0001' });
    await h.scan({ full: true });
    const asked = h.sim.world.callLog.find((c) => c.operation === 'GetFindingsV2')!;
    expect(asked.params.Scopes).toEqual({ AwsOrganizations: [{ OrganizationalUnitId: 'ou-root-prod0001' }] });
    const accounts = new Set((await securityHubRows(h)).map((r) => r.accountId));
    expect([...accounts]).toEqual([s.accounts[1]!.id]);
  });

  test('settings the new Security Hub cannot honour are refused, naming the variable', () => {
    expect(() => loadConfig({ ...aggregator(), WARDEN_SECURITYHUB_SCOPE_OUS: 'ou-root-prod0001' })).toThrow(
      /WARDEN_SECURITYHUB_SCOPE_OUS: only the new Security Hub reads by OU/,
    );
    expect(() => loadConfig({ ...aggregator('v2'), WARDEN_SECURITYHUB_SCOPE_OUS: 'Production' })).toThrow(
      /WARDEN_SECURITYHUB_SCOPE_OUS: must list OU ids/,
    );
    expect(() => loadConfig({ WARDEN_SECURITYHUB_API: 'v2' })).toThrow(
      /WARDEN_SECURITYHUB_API: v2 reads the organization from the delegated administrator/,
    );
  });

  test('a control finding read through both APIs is one issue', async () => {
    h = await scanHarness(organization(true), aggregator('cspm'));
    await h.scan({ full: true });
    const issues = await countFindings(h.db.db, {});
    const v2 = loadConfig({ ...process.env, ...aggregator('v2'), LOG_LEVEL: 'silent' });
    h.config.aws.securityHub = v2.aws.securityHub;
    await h.scan({ full: true });
    const rows = await securityHubRows(h);
    // Two findings of each problem (one per API), one issue each, as many issues as before.
    expect(rows.length).toBe(2 * rows.filter((r) => (r.evidence as { ocsf?: unknown }).ocsf).length);
    expect(await countFindings(h.db.db, {})).toBe(issues);
  });

  test('switched from CSPM to the new Security Hub, each issue keeps its triage: the new copy takes it, audited, and Security Hub hears of it', async () => {
    h = await scanHarness(organization(true), aggregator('cspm'));
    await h.scan({ full: true });
    const [suppressed, acknowledged, assigned] = (await securityHubRows(h)).filter(
      (r) => r.status === 'open' && r.duplicateOf === null,
    );
    const until = new Date(Date.now() + 30 * 86_400_000);
    await suppress(h.db.db, {
      findingId: suppressed!.id,
      actor: 'U0OWNER',
      reason: 'compensating control in place',
      expiresAt: until,
      maxDays: 90,
    });
    await acknowledge(h.db.db, acknowledged!.id, 'U0OWNER');
    await assign(h.db.db, assigned!.id, 'U0FIXER', 'U0OWNER');

    h.config.aws.securityHub = loadConfig({
      ...process.env,
      ...aggregator('v2'),
      LOG_LEVEL: 'silent',
    }).aws.securityHub;
    await h.scan({ full: true });

    const rows = await securityHubRows(h);
    const copyOf = (cspm: Finding) =>
      rows.find((r) => r.id !== cspm.id && problemOf(r) === problemOf(cspm) && ocsfIdentity(r.evidence))!;
    // The CSPM rows are no longer read (resolved by the full sync): the new copies are the issues now.
    expect(rows.find((r) => r.id === suppressed!.id)!.status).toBe('resolved');
    expect(copyOf(suppressed!)).toMatchObject({ status: 'suppressed', duplicateOf: null });
    expect(copyOf(acknowledged!)).toMatchObject({ status: 'acknowledged', duplicateOf: null });
    expect(copyOf(assigned!)).toMatchObject({ status: 'open', assignee: 'U0FIXER', duplicateOf: null });
    const [kept] = await h.db.db
      .select()
      .from(suppressions)
      .where(eq(suppressions.findingId, copyOf(suppressed!).id));
    expect(kept).toMatchObject({
      reason: 'compensating control in place',
      createdBy: 'U0OWNER',
      liftedAt: null,
    });
    expect(kept!.expiresAt.getTime()).toBe(until.getTime());
    const carried = await h.db.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'finding.triage-carried'));
    expect(carried.map((e) => e.subject).sort()).toEqual(
      [suppressed!, acknowledged!, assigned!].map((f) => `finding:${f.id}`).sort(),
    );
    // Nothing is carried twice: the next scan changes nothing.
    await h.scan({ full: true });
    expect(
      await h.db.db.select().from(auditEvents).where(eq(auditEvents.action, 'finding.triage-carried')),
    ).toHaveLength(3);

    // The timer that keeps Security Hub in step writes the carried states through the new API.
    const clients = new AwsClients({ maxAttempts: 3, maxSockets: 4 });
    await reopenExpiredSuppressions({
      db: h.db.db,
      config: h.config,
      clients,
      roles: writeBackRoles(clients, h.config),
    });
    clients.destroy();
    expect(h.sim.world.calls('BatchUpdateFindingsV2', ADMIN)).toBe(2);
    const inSim = (f: Finding) =>
      [...h!.sim.world.allFindings()].find(
        (r) => `${r.account}|${r.control}|${r.resourceId}` === problemOf(f),
      )!;
    expect(inSim(suppressed!).workflow).toBe('SUPPRESSED');
    expect(inSim(acknowledged!).workflow).toBe('NOTIFIED');
    const synced = (await securityHubRows(h)).filter((r) => r.awsSyncedAt);
    expect(synced.map((r) => r.id).sort()).toEqual([copyOf(suppressed!).id, copyOf(acknowledged!).id].sort());
  });
});

describe('triage carried by a scan’s conclusion', () => {
  test('a copy stored by a process that stopped before carrying its issue’s triage takes it at the next scan’s conclusion', async () => {
    h = await scanHarness(organization(true), aggregator('cspm'));
    await h.scan({ full: true });
    const [kept] = (await securityHubRows(h)).filter((r) => r.status === 'open' && r.region === 'us-east-1');
    await suppress(h.db.db, {
      findingId: kept!.id,
      actor: 'U0OWNER',
      reason: 'accepted for the quarter',
      expiresAt: new Date(Date.now() + 30 * 86_400_000),
      maxDays: 90,
    });
    // The same problem appears in another region; a process stores it and is killed before carrying.
    const copy = h.sim.world.raiseFinding(kept!.accountId, {
      control: kept!.controlId!,
      region: 'eu-west-1',
      resourceId: kept!.resourceId,
      updatedDaysAgo: 0,
    });
    await ingestFindings(
      h.db.db,
      [[fromAsff(toAsff(copy, h.sim.world) as AwsSecurityFinding)]],
      null,
      new Date(),
    );
    const stored = () => securityHubRows(h!).then((rows) => rows.find((r) => r.externalId === copy.id)!);
    expect(await stored()).toMatchObject({ status: 'open', duplicateOf: kept!.id });

    await h.scan({ full: true });
    expect(await stored()).toMatchObject({ status: 'suppressed', statusChangedBy: 'warden:issue' });
    const [event] = await h.db.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'finding.triage-carried'));
    expect(event).toMatchObject({ subject: `finding:${kept!.id}` });
  });
});

describe('writing back to the new Security Hub', () => {
  test('a triage decision on a finding read through it is written with BatchUpdateFindingsV2 by the administrator', async () => {
    h = await scanHarness(organization(true), aggregator('v2'));
    await h.scan({ full: true });
    const [row] = (await securityHubRows(h)).filter((r) => r.status === 'open');
    const result = await acknowledge(h.db.db, row!.id, 'U0OWNER');
    const clients = new AwsClients({ maxAttempts: 3, maxSockets: 4 });
    const outcome = await writeBackWorkflow(
      { db: h.db.db, config: h.config, clients, roles: writeBackRoles(clients, h.config) },
      result.sources,
      { status: 'NOTIFIED', note: { text: 'acknowledged by owner@example.com', updatedBy: 'Warden' } },
      'U0OWNER',
    );
    clients.destroy();
    expect([...outcome.values()].every((o) => o.status === 'synced')).toBe(true);
    expect(h.sim.world.calls('BatchUpdateFindingsV2', ADMIN)).toBe(1);
    expect(h.sim.world.calls('BatchUpdateFindings')).toBe(0);
    const record = [...h.sim.world.allFindings()].find(
      (f) => `${f.account}|${f.control}|${f.resourceId}` === problemOf(row!),
    )!;
    expect(record.workflow).toBe('NOTIFIED');
    const [event] = await h.db.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'finding.securityhub-updated'));
    expect(event!.details).toMatchObject({ call: 'securityhub:BatchUpdateFindingsV2', account: ADMIN });
  });

  test('the simulated service refuses what the real one refuses, in its own words', async () => {
    h = await scanHarness(organization(true), aggregator('v2'));
    const clients = new AwsClients({ maxAttempts: 1, maxSockets: 4 });
    // Each call with the role that may make it, so that it is the request, not the permission, refused.
    const audit = new AssumedRoles(clients.sts(), auditRoleSpec(h.config.aws.auditRole, 'aws'));
    const reader = clients.securityHub(await audit.credentialsFor(ADMIN), ADMIN, 'us-east-1');
    await expect(
      reader.send(
        new GetFindingsV2Command({
          Filters: { CompositeFilters: Array.from({ length: 11 }, () => ({ StringFilters: [] })) },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    const triage = writeBackRoles(clients, h.config);
    const writer = clients.securityHub(await triage.credentialsFor(ADMIN), ADMIN, 'us-east-1');
    await expect(
      writer.send(
        new BatchUpdateFindingsV2Command({
          MetadataUids: ['x'],
          FindingIdentifiers: [{ CloudAccountUid: ADMIN, FindingInfoUid: 'x', MetadataProductUid: 'p' }],
          StatusId: 2,
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    // The triage role may set the status and the comment, never the severity.
    await expect(
      writer.send(new BatchUpdateFindingsV2Command({ MetadataUids: ['x'], SeverityId: 5 })),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    clients.destroy();
  });
});

describe('the OCSF mapping', () => {
  const sample = (over: Record<string, unknown> = {}) => ({
    class_uid: 2003,
    class_name: 'Compliance Finding',
    activity_name: 'Update',
    severity_id: 4,
    status_id: 1,
    metadata: { uid: 'm-1', product: { uid: 'arn:aws:securityhub:us-east-1::productv2/aws/securityhub' } },
    finding_info: {
      uid: 'f-1',
      title: 'S3 general purpose buckets should block public access',
      modified_time_dt: '2026-11-30T10:00:00.000Z',
    },
    cloud: { account: { uid: '123456789012' }, region: 'eu-west-1' },
    resources: [{ uid: 'arn:aws:s3:::data', type: 'AwsS3Bucket', region: 'eu-west-1' }],
    compliance: {
      control: 'S3.8',
      status_id: 3,
      standards: ['standards/aws-foundational-security-best-practices/v/1.0.0'],
    },
    ...over,
  });

  test('a failing compliance finding: identity, place, severity, control, resource, evaluation', () => {
    const f = fromOcsf(sample())!;
    expect(f).toMatchObject({
      source: 'securityhub',
      externalId: 'm-1',
      accountId: '123456789012',
      region: 'eu-west-1',
      severity: 'high',
      controlId: 'S3.8',
      resourceId: 'arn:aws:s3:::data',
      compliance: 'FAILED',
      awsWorkflowStatus: 'NEW',
      failing: true,
      evaluation: { status: 'FAILED', archived: false },
    });
    expect(f.sourceUpdatedAt?.toISOString()).toBe('2026-11-30T10:00:00.000Z');
  });

  test('an exposure finding is its own kind: no control, its traits and contributing findings kept', () => {
    // Shaped as AWS's sample exposure finding (Security Hub user guide, "Sample exposure finding").
    const exposure = {
      activity_id: 1,
      activity_name: 'Create',
      category_uid: 2,
      class_name: 'Detection Finding',
      class_uid: 2004,
      cloud: {
        account: { uid: '123456789012', name: 'production-application' },
        provider: 'AWS',
        region: 'us-east-1',
      },
      finding_info: {
        analytic: { name: 'Exposure', type: 'Rule', type_id: 1, uid: '0.0.1' },
        created_time_dt: '2024-11-15T21:39:26.337224100Z',
        desc: 'Publicly invocable Lambda function executed outside of VPC has vulnerability with known exploit',
        related_events_count: 3,
        related_events: [
          {
            tags: [{ name: 'Vulnerability', values: ['Exploit Available', 'Attack Vector Network'] }],
            product: { uid: 'arn:aws:securityhub:us-east-1::productv2/aws/inspector' },
            type: 'Finding',
          },
          {
            tags: [{ name: 'Reachability', values: ['Publicly invocable'] }],
            product: { uid: 'arn:aws:securityhub:us-east-1::productv2/aws/securityhub' },
            type: 'Finding',
          },
        ],
        uid: 'exposure-1',
      },
      metadata: {
        uid: 'm-exposure-1',
        product: { uid: 'arn:aws:securityhub:us-east-1::productv2/aws/securityhub' },
      },
      resources: [
        { uid: 'arn:aws:lambda:us-east-1:123456789012:function:app', type: 'AWS::Lambda::Function' },
      ],
      severity_id: 5,
      status_id: 1,
    };
    const f = fromOcsf(exposure)!;
    expect(f).toMatchObject({
      externalId: 'm-exposure-1',
      controlId: null,
      generatorId: 'exposure',
      severity: 'critical',
      failing: true,
      title:
        'Publicly invocable Lambda function executed outside of VPC has vulnerability with known exploit',
      resourceId: 'arn:aws:lambda:us-east-1:123456789012:function:app',
      evidence: {
        exposure: {
          traits: {
            Vulnerability: ['Exploit Available', 'Attack Vector Network'],
            Reachability: ['Publicly invocable'],
          },
          contributing: 3,
        },
      },
    });
    expect(f.evaluation).toBeUndefined();
    // A Detection Finding that is not an exposure (GuardDuty's) is not one.
    expect(
      fromOcsf({ ...exposure, finding_info: { uid: 'g', title: 'Recon' } })!.evidence,
    ).not.toHaveProperty('exposure');
    expect(
      findingBlocks({ ...summaryOf(f), id: 7 } as unknown as ShownFinding, { kind: 'card' })[0],
    ).toMatchObject({
      text: {
        text: expect.stringContaining(
          ':dart: _Exposure:_ Reachability, Vulnerability (3 contributing findings)',
        ),
      },
    });
  });

  test('closed, resolved or passing is not failing; without metadata.uid or an account it is no finding', () => {
    expect(fromOcsf(sample({ activity_name: 'Close' }))!.failing).toBe(false);
    expect(fromOcsf(sample({ status_id: 4 }))!.failing).toBe(false);
    expect(fromOcsf(sample({ compliance: { control: 'S3.8', status_id: 1 } }))!.failing).toBe(false);
    expect(fromOcsf(sample({ metadata: { product: {} } }))).toBeUndefined();
    expect(fromOcsf(sample({ cloud: {} }))).toBeUndefined();
  });
});

/** A mapped finding as a Slack view would show it (what the store would read back). */
function summaryOf(f: NonNullable<ReturnType<typeof fromOcsf>>) {
  return {
    title: f.title,
    severity: f.severity,
    status: 'open',
    source: f.source,
    externalId: f.externalId,
    accountId: f.accountId,
    accountName: null,
    region: f.region,
    resourceId: f.resourceId,
    controlId: f.controlId,
    generatorId: f.generatorId,
    evidence: f.evidence,
    regression: false,
    otherSources: [],
  };
}
