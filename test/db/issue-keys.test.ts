import { afterAll, beforeAll, expect, test } from 'vitest';
import { findings, type NewFinding } from '../../src/db/schema.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';

// What makes two findings one issue (findings.issue_key): the account, the security control and the
// resource as Security Hub names it.

const ACCOUNT = '123456789012';
let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase();
});
afterAll(async () => {
  await t.close();
});

const NOW = new Date('2026-12-01T00:00:00Z');
let n = 0;
async function keyOf(f: Partial<NewFinding>): Promise<string> {
  const [row] = await t.db
    .insert(findings)
    .values({
      source: 'credential-report',
      externalId: `x-${n++}`,
      accountId: ACCOUNT,
      region: 'global',
      resourceId: `AWS::::Account:${ACCOUNT}`,
      title: 't',
      severity: 'high',
      firstSeenAt: NOW,
      lastSeenAt: NOW,
      ...f,
    })
    .returning();
  return row!.issueKey;
}

test('the root user and the password policy are the account, as Security Hub names it', async () => {
  const account = `${ACCOUNT}|IAM.4|AWS::::Account:${ACCOUNT}`;
  expect(await keyOf({ controlId: 'IAM.4', resourceId: `arn:aws:iam::${ACCOUNT}:root` })).toBe(account);
  expect(await keyOf({ controlId: 'IAM.4', resourceId: `arn:aws-us-gov:iam::${ACCOUNT}:root` })).toBe(
    account,
  );
  expect(await keyOf({ controlId: 'IAM.4', source: 'securityhub' })).toBe(account);
  expect(
    await keyOf({ controlId: 'IAM.15', resourceId: `arn:aws:iam::${ACCOUNT}:account-password-policy` }),
  ).toBe(`${ACCOUNT}|IAM.15|AWS::::Account:${ACCOUNT}`);
});

test('an access key or a password is its user; another user or another account is another issue', async () => {
  const user = `arn:aws:iam::${ACCOUNT}:user/alice`;
  const key = await keyOf({ controlId: 'IAM.3', resourceId: `${user}#access_key_1` });
  expect(key).toBe(`${ACCOUNT}|IAM.3|${user}`);
  expect(await keyOf({ controlId: 'IAM.3', resourceId: user, source: 'securityhub' })).toBe(key);
  expect(await keyOf({ controlId: 'IAM.22', resourceId: `${user}#password` })).toBe(
    `${ACCOUNT}|IAM.22|${user}`,
  );
  expect(
    await keyOf({ controlId: 'IAM.3', resourceId: `arn:aws:iam::${ACCOUNT}:user/bob#access_key_1` }),
  ).not.toBe(key);
  expect(
    await keyOf({ controlId: 'IAM.3', accountId: '210987654321', resourceId: `${user}#access_key_1` }),
  ).not.toBe(key);
});

test('a finding of no control is an issue of its own', async () => {
  const key = await keyOf({ source: 'securityhub', productArn: 'arn:guardduty', externalId: 'gd-1' });
  expect(key).toBe('securityhub|arn:guardduty|gd-1');
});
