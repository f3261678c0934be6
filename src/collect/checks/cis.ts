import type { PasswordPolicy } from '@aws-sdk/client-iam';
import type { Partition } from '../../aws/partition.js';
import type { Policy } from '../../config.js';
import { WARDEN_GENERATOR, type WardenCheckId } from '../../findings/checks.js';
import type { CheckResult } from '../../findings/compliance.js';
import { type Finding, fingerprint } from '../../findings/finding.js';
import type { Severity } from '../../findings/severity.js';
import type { CredentialReport, ReportKey, ReportRow } from '../credential-report.js';

/**
 * The CIS checks Warden evaluates from the IAM credential report and the password policy
 * (FACTS.md §4). Each is a pure function of data already fetched; thresholds come from the policy file.
 */
export interface Check {
  id: WardenCheckId;
  title: string;
  severity: Severity;
  controls: { cis: Record<string, string>; securityHub?: string };
  remediation: string;
  evaluate(input: CheckInput): Violation[];
}

export interface CheckInput {
  accountId: string;
  /** The account's partition: the password policy's ARN names it. */
  partition: Partition;
  report: CredentialReport;
  thresholds: Policy['checks'];
  now: Date;
}

/** One failing resource, with the evidence a person needs to see why. */
export interface Violation {
  resource: string;
  resourceType: string;
  evidence: Record<string, unknown>;
}

const DAY = 86_400_000;
const ageDays = (d: Date, now: Date) => Math.floor((now.getTime() - d.getTime()) / DAY);
const iso = (d: Date | null) => d?.toISOString() ?? null;
const users = (input: CheckInput) => input.report.rows.filter((r) => !r.isRoot);
const root = (input: CheckInput) => input.report.rows.find((r) => r.isRoot);
const keyResource = (row: ReportRow, key: ReportKey) => `${row.arn}#access_key_${key.slot}`;

/** CIS baseline for the account password policy (v1.4–v3.0 items 1.8 and 1.9). */
export const CIS_PASSWORD_POLICY = { MinimumPasswordLength: 14, PasswordReusePrevention: 24 } as const;

export function passwordPolicyGaps(policy: PasswordPolicy | null): string[] {
  if (!policy) return ['no password policy is set'];
  const gaps: string[] = [];
  if ((policy.MinimumPasswordLength ?? 0) < CIS_PASSWORD_POLICY.MinimumPasswordLength) {
    gaps.push(
      `minimum length ${policy.MinimumPasswordLength ?? 'unset'} < ${CIS_PASSWORD_POLICY.MinimumPasswordLength}`,
    );
  }
  if ((policy.PasswordReusePrevention ?? 0) < CIS_PASSWORD_POLICY.PasswordReusePrevention) {
    gaps.push(
      `reuse prevention ${policy.PasswordReusePrevention ?? 'unset'} < ${CIS_PASSWORD_POLICY.PasswordReusePrevention}`,
    );
  }
  return gaps;
}

export const CHECKS: Check[] = [
  {
    id: 'root-access-keys',
    title: 'The root user has active access keys',
    severity: 'critical',
    controls: { cis: { 'v1.4': '1.4', 'v3.0': '1.4', 'v5.0': '1.3' }, securityHub: 'IAM.4' },
    remediation: 'Sign in as root, delete the root access keys, and use IAM roles for programmatic access.',
    evaluate(input) {
      const r = root(input);
      const active = r?.keys.filter((k) => k.active) ?? [];
      if (!r || active.length === 0) return [];
      return [
        {
          resource: r.arn,
          resourceType: 'AwsAccount',
          evidence: {
            keys: active.map((k) => ({
              slot: k.slot,
              lastRotated: iso(k.lastRotated),
              lastUsed: iso(k.lastUsed),
            })),
          },
        },
      ];
    },
  },
  {
    id: 'root-mfa',
    title: 'The root user has no MFA',
    severity: 'critical',
    controls: { cis: { 'v1.4': '1.5', 'v3.0': '1.5', 'v5.0': '1.4' }, securityHub: 'IAM.9' },
    remediation: 'Enable MFA (preferably a hardware key) for the root user.',
    evaluate(input) {
      const r = root(input);
      return r && !r.mfaActive
        ? [{ resource: r.arn, resourceType: 'AwsAccount', evidence: { mfaActive: false } }]
        : [];
    },
  },
  {
    id: 'root-recent-use',
    title: 'The root user was used recently',
    severity: 'high',
    controls: { cis: { 'v1.4': '1.7', 'v3.0': '1.7' } },
    remediation: 'Stop using the root user for daily tasks; use IAM Identity Center or IAM roles instead.',
    evaluate(input) {
      const r = root(input);
      if (!r) return [];
      const uses = [r.passwordLastUsed, ...r.keys.map((k) => k.lastUsed)].filter(
        (d): d is Date => d !== null,
      );
      const last = uses.sort((a, b) => b.getTime() - a.getTime())[0];
      if (!last || ageDays(last, input.now) > input.thresholds.rootUseDays) return [];
      return [
        {
          resource: r.arn,
          resourceType: 'AwsAccount',
          evidence: { lastUsed: iso(last), withinDays: input.thresholds.rootUseDays },
        },
      ];
    },
  },
  {
    id: 'console-user-without-mfa',
    title: 'An IAM user with a console password has no MFA',
    severity: 'medium',
    controls: { cis: { 'v1.4': '1.10', 'v3.0': '1.10', 'v5.0': '1.9' }, securityHub: 'IAM.5' },
    remediation: 'Enable MFA for the user, or remove the console password if the user does not need it.',
    evaluate(input) {
      return users(input)
        .filter((u) => u.passwordEnabled && !u.mfaActive)
        .map((u) => ({
          resource: u.arn,
          resourceType: 'AwsIamUser',
          evidence: { user: u.user, passwordLastUsed: iso(u.passwordLastUsed) },
        }));
    },
  },
  {
    id: 'access-key-not-rotated',
    title: 'An active access key was not rotated within the allowed days',
    severity: 'medium',
    controls: { cis: { 'v1.4': '1.14', 'v3.0': '1.14', 'v5.0': '1.13' }, securityHub: 'IAM.3' },
    remediation: 'Create a new access key, move its users to it, then deactivate and delete the old one.',
    evaluate(input) {
      const max = input.thresholds.keyRotationDays;
      return users(input).flatMap((u) =>
        u.keys
          .filter((k) => k.active && k.lastRotated && ageDays(k.lastRotated, input.now) > max)
          .map((k) => ({
            resource: keyResource(u, k),
            resourceType: 'AwsIamAccessKey',
            evidence: { user: u.user, keySlot: k.slot, lastRotated: iso(k.lastRotated), maxAgeDays: max },
          })),
      );
    },
  },
  {
    id: 'unused-credentials',
    title: 'A credential has not been used within the allowed days',
    severity: 'medium',
    controls: { cis: { 'v1.4': '1.12', 'v3.0': '1.12', 'v5.0': '1.11' }, securityHub: 'IAM.22' },
    remediation: 'Remove the console password or deactivate the access key that is not used.',
    evaluate(input) {
      const max = input.thresholds.unusedCredentialDays;
      const stale = (lastUsed: Date | null, since: Date | null) => {
        const ref = lastUsed ?? since;
        return ref !== null && ageDays(ref, input.now) >= max;
      };
      return users(input).flatMap((u) => {
        const out: Violation[] = [];
        if (u.passwordEnabled && stale(u.passwordLastUsed, u.passwordLastChanged ?? u.createdAt)) {
          out.push({
            resource: `${u.arn}#password`,
            resourceType: 'AwsIamUser',
            evidence: {
              user: u.user,
              credential: 'password',
              lastUsed: iso(u.passwordLastUsed),
              unusedDays: max,
            },
          });
        }
        for (const k of u.keys) {
          if (k.active && stale(k.lastUsed, k.lastRotated)) {
            out.push({
              resource: keyResource(u, k),
              resourceType: 'AwsIamAccessKey',
              evidence: {
                user: u.user,
                credential: `access_key_${k.slot}`,
                keySlot: k.slot,
                lastRotated: iso(k.lastRotated),
                lastUsed: iso(k.lastUsed),
                unusedDays: max,
              },
            });
          }
        }
        return out;
      });
    },
  },
  {
    id: 'multiple-active-keys',
    title: 'An IAM user has more than one active access key',
    severity: 'low',
    controls: { cis: { 'v1.4': '1.13', 'v3.0': '1.13' } },
    remediation: 'Keep one active access key per user; deactivate the other once nothing uses it.',
    evaluate(input) {
      return users(input)
        .filter((u) => u.keys.filter((k) => k.active).length > 1)
        .map((u) => ({
          resource: u.arn,
          resourceType: 'AwsIamUser',
          evidence: { user: u.user, activeKeys: 2 },
        }));
    },
  },
  {
    id: 'password-policy-weak',
    title: 'The account password policy is weaker than the CIS baseline',
    severity: 'medium',
    controls: { cis: { 'v1.4': '1.8, 1.9', 'v3.0': '1.8, 1.9', 'v5.0': '1.7, 1.8' }, securityHub: 'IAM.15' },
    remediation: 'Set a password policy with a minimum length of 14 and reuse prevention of 24.',
    evaluate(input) {
      const gaps = passwordPolicyGaps(input.report.passwordPolicy);
      if (gaps.length === 0) return [];
      return [
        {
          resource: `arn:${input.partition}:iam::${input.accountId}:account-password-policy`,
          resourceType: 'AwsAccount',
          evidence: { gaps, policy: input.report.passwordPolicy ?? null },
        },
      ];
    },
  },
];

/** How many failing resources a check's result names as evidence (the findings hold them all). */
const EVIDENCE_RESOURCES = 20;

/**
 * Runs every check over one account's report: Warden's findings (one per failing resource), and one
 * result per check, passed or failed, with what it evaluated, as evidence for standards' scores.
 */
export function evaluateAccount(input: CheckInput): { findings: Finding[]; results: CheckResult[] } {
  const evaluated = CHECKS.map((check) => ({ check, violations: check.evaluate(input) }));
  const results = evaluated.map(
    ({ check, violations }): CheckResult => ({
      source: 'credential-report',
      externalId: fingerprint(input.accountId, check.id, 'account'),
      accountId: input.accountId,
      controlId: check.id,
      status: violations.length > 0 ? 'FAILED' : 'PASSED',
      evidence: {
        ...(check.controls.securityHub ? { securityControl: check.controls.securityHub } : {}),
        cis: check.controls.cis,
        reportGeneratedAt: iso(input.report.generatedAt),
        users: users(input).length,
        failing: violations.length,
        ...(violations.length
          ? { resources: violations.slice(0, EVIDENCE_RESOURCES).map((v) => v.resource) }
          : {}),
      },
      evaluatedAt: input.report.generatedAt,
    }),
  );
  return {
    findings: evaluated.flatMap(({ check, violations }) => findingsOf(input, check, violations)),
    results,
  };
}

function findingsOf(input: CheckInput, check: Check, violations: Violation[]): Finding[] {
  return violations.map(
    (v): Finding => ({
      source: 'credential-report',
      productArn: '',
      externalId: fingerprint(input.accountId, check.id, v.resource),
      accountId: input.accountId,
      region: 'global',
      resourceType: v.resourceType,
      resourceId: v.resource,
      controlId:
        check.controls.securityHub ??
        `CIS ${check.controls.cis['v3.0'] ?? Object.values(check.controls.cis)[0]}`,
      generatorId: `${WARDEN_GENERATOR}${check.id}`,
      title: check.title,
      description: null,
      severity: check.severity,
      compliance: 'FAILED',
      awsWorkflowStatus: null,
      firstObservedAt: input.now,
      sourceUpdatedAt: null,
      remediationText: check.remediation,
      remediationUrl: null,
      evidence: {
        check: check.id,
        cis: check.controls.cis,
        reportGeneratedAt: iso(input.report.generatedAt),
        ...v.evidence,
      },
      failing: true,
    }),
  );
}
