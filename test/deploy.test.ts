import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { actionOf } from '../src/aws/remediation-calls.js';
import { PLAYBOOKS } from '../src/remediate/registry.js';

// deploy/ holds what a security team installs. These tests keep it one fact each: the StackSet
// template embeds the policy files as they are; the remediation role allows exactly what the
// playbooks (and the triage write-back) call; the audit role only reads.

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

test('the StackSet template deploys both roles with the policy files, unchanged, trusting only Warden with an external id', () => {
  const { AuditRole, RemediationRole } = template.Resources;
  expect(AuditRole.Properties.Policies[0].PolicyDocument).toEqual(auditPolicy);
  expect(RemediationRole.Properties.Policies[0].PolicyDocument).toEqual(remediationPolicy);
  for (const [role, externalId] of [
    [AuditRole, 'AuditExternalId'],
    [RemediationRole, 'RemediationExternalId'],
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

test('the remediation role allows exactly the playbooks’ permissions and the triage write-back, nothing more', () => {
  const needed = new Set([
    'securityhub:BatchUpdateFindings',
    ...[...PLAYBOOKS.values()].flatMap((p) => p.permissions),
  ]);
  expect(allowed(remediationPolicy)).toEqual([...needed].sort());
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

test('Warden’s own credentials may assume both roles', () => {
  const caller = read('warden-caller-policy.json');
  const assume = caller.Statement.find((s: { Action: string }) => s.Action === 'sts:AssumeRole');
  expect(assume.Resource).toEqual([
    'arn:aws:iam::*:role/WardenAudit',
    'arn:aws:iam::*:role/WardenRemediation',
  ]);
});
