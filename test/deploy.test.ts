import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { actionOf } from '../src/aws/remediation-calls.js';
import { FINDING_EVENT_TYPES } from '../src/collect/events.js';
import { loadConfig } from '../src/config.js';
import { PLAYBOOKS } from '../src/remediate/registry.js';
import { DEFAULT_EVENTS, DETAIL_TYPES } from '../src/sim/events.js';
import { BATCH_UPDATE_FIELDS } from '../src/sim/permissions.js';

// deploy/ holds what a security team installs. These tests keep it one fact each: the StackSet
// template embeds the policy files as they are; the remediation role allows exactly what the
// playbooks call, on users only; the triage role sets the workflow and the note only; the audit
// role only reads.

const read = (file: string) =>
  JSON.parse(readFileSync(new URL(`../deploy/${file}`, import.meta.url), 'utf8'));
type Statement = { Effect: string; Action: string | string[] };
const allowed = (policy: { Statement: Statement[] }) =>
  policy.Statement.filter((s) => s.Effect === 'Allow')
    .flatMap((s) => [s.Action].flat())
    .sort();

const template = read('warden-roles-stackset.json');
const auditPolicy = read('audit-role-policy.json');
const remediationPolicy = read('remediation-role-policy.json');
const triagePolicy = read('triage-role-policy.json');
type FullStatement = Statement & {
  Resource: string | string[];
  Condition?: Record<string, Record<string, string>>;
};
const statements = (policy: { Statement: FullStatement[] }) => policy.Statement;

test('the StackSet template deploys the three roles with the policy files, unchanged, trusting only Warden with an external id', () => {
  const { AuditRole, RemediationRole, TriageRole } = template.Resources;
  expect(AuditRole.Properties.Policies[0].PolicyDocument).toEqual(auditPolicy);
  expect(RemediationRole.Properties.Policies[0].PolicyDocument).toEqual(remediationPolicy);
  expect(TriageRole.Properties.Policies[0].PolicyDocument).toEqual(triagePolicy);
  for (const [role, externalId] of [
    [AuditRole, 'AuditExternalId'],
    [RemediationRole, 'RemediationExternalId'],
    [TriageRole, 'TriageExternalId'],
  ]) {
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Principal: { AWS: { Ref: 'WardenPrincipalArn' } },
        Condition: { StringEquals: { 'sts:ExternalId': { Ref: externalId } } },
      }),
    ]);
    expect(template.Parameters[externalId]).toMatchObject({ NoEcho: true });
  }
});

test('the remediation role allows exactly the playbooks’ permissions, nothing more', () => {
  const needed = new Set([...PLAYBOOKS.values()].flatMap((p) => p.permissions));
  expect(allowed(remediationPolicy)).toEqual([...needed].sort());
});

test('the remediation role writes IAM users only, never a principal tagged warden:protected, never Warden’s own roles', () => {
  const all = statements(remediationPolicy);
  const onUsers = all.find((s) => s.Effect === 'Allow' && [s.Action].flat().includes('iam:UpdateAccessKey'))!;
  expect(onUsers.Resource).toBe('arn:*:iam::*:user/*');
  expect(all).toContainEqual(
    expect.objectContaining({
      Effect: 'Deny',
      Action: ['iam:DeleteAccessKey', 'iam:DeleteLoginProfile', 'iam:UpdateAccessKey'],
      Condition: { StringEquals: { 'iam:ResourceTag/warden:protected': 'true' } },
    }),
  );
  expect(all).toContainEqual(
    expect.objectContaining({ Effect: 'Deny', Action: ['iam:*'], Resource: 'arn:*:iam::*:role/Warden*' }),
  );
});

test('triage writes back through a role of its own, which may set the workflow and the note (the new Security Hub: the status and the comment) and no other field', () => {
  expect(allowed(triagePolicy)).toEqual(['securityhub:BatchUpdateFindings']);
  // The same denies guard the remediation role's own BatchUpdateFindings (the resolve playbook).
  for (const policy of [triagePolicy, remediationPolicy]) {
    const denied = statements(policy)
      .filter((s) => s.Effect === 'Deny' && [s.Action].flat().includes('securityhub:BatchUpdateFindings'))
      .map((s) => {
        expect(s.Condition && Object.keys(s.Condition)).toEqual(['Null']);
        const [key, value] = Object.entries(s.Condition!.Null!)[0]!;
        expect(value).toBe('false');
        return key.replace('securityhub:ASFFSyntaxPath/', '');
      });
    expect(denied.sort()).toEqual(
      [
        ...BATCH_UPDATE_FIELDS.filter((f) => f !== 'Workflow.Status' && !f.startsWith('Note.')),
        // BatchUpdateFindingsV2 sets SeverityId, StatusId and Comment: only the first is denied.
        'securityhub:OCSFSyntaxPath/SeverityId',
      ].sort(),
    );
  }
});

test('the audit role only reads', () => {
  for (const action of allowed(auditPolicy)) expect(action).toMatch(/^[a-z]+:(Get|List|Describe|Generate)/);
});

test('each playbook’s plan and rollback call only what the playbook declares it needs', () => {
  const samples: Record<string, unknown> = {
    'deactivate-access-key': { account: '111122223333', userName: 'u', accessKeyId: 'AKIAAAAAAAAAAAAAAAAA' },
    'delete-access-key': { account: '111122223333', userName: 'u', accessKeyId: 'AKIAAAAAAAAAAAAAAAAA' },
    'remove-console-password': { account: '111122223333', userName: 'u' },
    'cis-password-policy': { account: '111122223333', target: { MinimumPasswordLength: 14 } },
    'resolve-securityhub-finding': {
      account: '111122223333',
      region: 'us-east-1',
      findingId: 'f',
      productArn: 'p',
      note: 'n',
      previousWorkflow: 'NEW',
    },
  };
  expect(Object.keys(samples).sort()).toEqual([...PLAYBOOKS.keys()].sort());
  for (const playbook of PLAYBOOKS.values()) {
    const input = playbook.input.parse(samples[playbook.id]);
    const calls = [
      ...playbook.plan(input),
      ...(playbook.rollback?.plan(input, {}) ?? []),
      ...(playbook.rollback?.plan(input, {
        previousPolicy: { PasswordPolicy: { MinimumPasswordLength: 8 } },
      }) ?? []),
    ];
    for (const call of calls) expect(playbook.permissions).toContain(actionOf(call));
    expect(Boolean(playbook.rollback)).toBe(playbook.reversible);
  }
});

test('Warden’s own credentials may assume the three roles, in any partition', () => {
  const caller = read('warden-caller-policy.json');
  const assume = caller.Statement.find((s: { Action: string }) => s.Action === 'sts:AssumeRole');
  expect(assume.Resource).toEqual([
    'arn:*:iam::*:role/WardenAudit',
    'arn:*:iam::*:role/WardenRemediation',
    'arn:*:iam::*:role/WardenTriage',
  ]);
});

test('the compose file runs migrate as the owner, then two serve replicas and a worker as the runtime role, each with a valid configuration', () => {
  const compose = parseYaml(readFileSync(new URL('../deploy/docker-compose.yml', import.meta.url), 'utf8'), {
    merge: true,
  }) as {
    services: Record<
      string,
      {
        command?: string[];
        environment?: Record<string, string>;
        depends_on?: Record<string, { condition: string }>;
      }
    >;
  };
  const { migrate, 'serve-1': one, 'serve-2': two, worker } = compose.services;
  expect(migrate!.command).toEqual(['migrate']);
  expect([one!.command, two!.command, worker!.command]).toEqual([['serve'], ['serve'], ['worker']]);
  for (const replica of [one!, two!, worker!]) {
    expect(replica.depends_on).toEqual({ migrate: { condition: 'service_completed_successfully' } });
    expect(replica.environment!.WARDEN_MIGRATION_DATABASE_URL).toBeUndefined();
  }
  // ${VAR:-default} as compose resolves it with nothing set.
  const resolved = (env: Record<string, string>) =>
    Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace(/\$\{\w+:-([^}]*)\}/g, '$1')]));
  const runtime = new URL(resolved(one!.environment!).DATABASE_URL!);
  const owner = new URL(resolved(migrate!.environment!).WARDEN_MIGRATION_DATABASE_URL!);
  expect(runtime.username).not.toBe(owner.username);
  expect(runtime.pathname).toBe(owner.pathname);
  // Every variable the file and its example set is one Warden reads, with a value it accepts.
  const example = Object.fromEntries(
    readFileSync(new URL('../deploy/compose.env.example', import.meta.url), 'utf8')
      .split('\n')
      .filter((l) => /^[A-Z]/.test(l))
      .map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );
  const known = readFileSync(new URL('../src/config.ts', import.meta.url), 'utf8');
  for (const name of Object.keys(example).filter((n) => !n.startsWith('AWS_')))
    expect(known, `${name} is not a variable Warden reads`).toContain(name);
  const filled = {
    ...example,
    SLACK_BOT_TOKEN: 'xoxb-1-2-3',
    SLACK_SIGNING_SECRET: 'a'.repeat(32),
    ...resolved(one!.environment!),
  };
  const config = loadConfig(filled, { requireSlack: true });
  expect(config.database.url).toBe(runtime.href);
  expect(config.aws.regions).toEqual(['us-east-1', 'eu-west-1']);
});

test('bench:scan measures the scan with the heap settings the image runs Warden with', () => {
  const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');
  const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
  expect(entrypoint.at(-1)).toBe('dist/main.js');
  const imageFlags = entrypoint.slice(1, -1);
  expect(imageFlags).toContain('--max-semi-space-size=8');
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const bench = /node (.*) dist\/bench\/scan\.js/.exec(pkg.scripts['bench:scan'])![1]!.split(' ');
  expect(bench).toEqual(imageFlags);
});

test('the findings events template sends both Security Hubs’ findings to a queue only its rule may write and only Warden may read, with a dead-letter queue', () => {
  const events = read('findings-events.json');
  const { Queue, FindingsRule, QueuePolicy, DeadLetterQueue } = events.Resources;
  expect(FindingsRule.Properties.EventPattern).toEqual({
    source: ['aws.securityhub'],
    'detail-type': [...Object.keys(FINDING_EVENT_TYPES)],
  });
  expect(FindingsRule.Properties.Targets[0].Arn).toEqual({ 'Fn::GetAtt': ['Queue', 'Arn'] });
  expect(Queue.Properties.RedrivePolicy.deadLetterTargetArn).toEqual({
    'Fn::GetAtt': ['DeadLetterQueue', 'Arn'],
  });
  expect(DeadLetterQueue.Type).toBe('AWS::SQS::Queue');
  const [sends, reads] = QueuePolicy.Properties.PolicyDocument.Statement;
  expect(sends).toMatchObject({
    Principal: { Service: 'events.amazonaws.com' },
    Action: 'sqs:SendMessage',
    Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['FindingsRule', 'Arn'] } } },
  });
  expect(reads.Principal).toEqual({ AWS: { Ref: 'WardenPrincipalArn' } });
  expect(QueuePolicy.Properties.PolicyDocument.Statement).toHaveLength(2);
  // Warden's own policy reads that queue, by the name the template gives it, and sends nothing.
  const consume = read('warden-caller-policy.json').Statement.find(
    (s: { Sid: string }) => s.Sid === 'ConsumeFindingEvents',
  );
  expect([...consume.Action].sort()).toEqual([...reads.Action].sort());
  // Only what Warden calls (DeleteMessageBatch is authorized as sqs:DeleteMessage).
  expect([...reads.Action].sort()).toEqual(['sqs:DeleteMessage', 'sqs:ReceiveMessage']);
  expect(consume.Resource).toBe(`arn:aws:sqs:*:*:${Queue.Properties.QueueName}`);
  expect(Queue.Properties.QueueName).toBe(DEFAULT_EVENTS.queueName);
  // The simulator sends the same detail-types.
  expect(Object.values(DETAIL_TYPES).sort()).toEqual(Object.keys(FINDING_EVENT_TYPES).sort());
});
