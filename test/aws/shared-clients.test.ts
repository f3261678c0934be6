import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetAccountPasswordPolicyCommand } from '@aws-sdk/client-iam';
import { GetFindingsCommand, type SecurityHubClient } from '@aws-sdk/client-securityhub';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { AwsClients, newStats } from '../../src/aws/clients.js';

// Security Hub and IAM clients are built once per region and shared by every account: each call
// must still be signed as its own account and counted against its own target, however calls of
// different accounts interleave.

/**
 * The access key each request was signed with, in arrival order, and requests per key. Answers
 * after a few ms; ASIASTORM's requests always fail (HTTP 500), ASIAFLAKY's first one fails.
 */
const signedWith: string[] = [];
const requests = new Map<string, number>();
const server = createServer((req, res) => {
  const key = /Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? 'unsigned';
  signedWith.push(key);
  requests.set(key, (requests.get(key) ?? 0) + 1);
  req.resume();
  const fails = key === 'ASIASTORM' || (key === 'ASIAFLAKY' && requests.get(key) === 1);
  // IAM speaks the query protocol (form in, XML out), Security Hub JSON.
  const iam = String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded');
  setTimeout(
    () => {
      res.statusCode = fails ? 500 : 200;
      res.setHeader('content-type', iam ? 'text/xml' : 'application/json');
      if (!iam) res.end(JSON.stringify(fails ? { Message: 'Internal error' } : { Findings: [] }));
      else
        res.end(
          fails
            ? '<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceFailure</Code><Message>Internal error</Message></Error></ErrorResponse>'
            : '<GetAccountPasswordPolicyResponse><GetAccountPasswordPolicyResult><PasswordPolicy><MinimumPasswordLength>14</MinimumPasswordLength></PasswordPolicy></GetAccountPasswordPolicyResult></GetAccountPasswordPolicyResponse>',
        );
    },
    5 + Math.random() * 10,
  );
});
const clientsOfServer = (maxAttempts: number) =>
  new AwsClients({
    maxAttempts,
    maxSockets: 8,
    target: {
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDWARDENITSELF', secretAccessKey: 'x' },
    },
  });
let clients: AwsClients;
beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  clients = clientsOfServer(1);
});
afterAll(() => {
  clients.destroy();
  server.close();
});

const account = (n: number) => ({ accessKeyId: `ASIAACCOUNT${n}`, secretAccessKey: `secret-${n}` });

test('interleaved calls of many accounts on one shared client are each signed as their own account', async () => {
  signedWith.length = 0;
  const stats = [newStats(), newStats(), newStats()];
  const calls = [0, 1, 2].map((n) =>
    clients.securityHub(
      // A provider, as well as a plain identity, is asked at each call.
      n === 2 ? async () => account(n) : account(n),
      `11112222333${n}`,
      'eu-west-1',
      stats[n],
    ),
  );
  await Promise.all(
    Array.from({ length: 30 }, (_, i) => calls[i % 3]!.send(new GetFindingsCommand({ MaxResults: 1 }))),
  );
  expect(signedWith).toHaveLength(30);
  expect(signedWith.filter((k) => k === 'ASIAACCOUNT0')).toHaveLength(10);
  expect(signedWith.filter((k) => k === 'ASIAACCOUNT1')).toHaveLength(10);
  expect(signedWith.filter((k) => k === 'ASIAACCOUNT2')).toHaveLength(10);
  expect(stats.map((s) => s.apiCalls)).toEqual([10, 10, 10]);
  expect(stats[0]!.lastCall).toBe('securityhub:GetFindings');
});

test('IAM calls of two accounts share a client and keep their own identity', async () => {
  signedWith.length = 0;
  await Promise.all([
    clients.iam(account(7)).send(new GetAccountPasswordPolicyCommand({})),
    clients.iam(account(8)).send(new GetAccountPasswordPolicyCommand({})),
  ]);
  expect([...signedWith].sort()).toEqual(['ASIAACCOUNT7', 'ASIAACCOUNT8']);
});

test('a shared client called without an account is refused before anything is sent', async () => {
  signedWith.length = 0;
  // The shared client itself, reached past the account wrapper, has no account to sign as.
  const shared = (clients as unknown as { shared: Map<string, SecurityHubClient> }).shared.get(
    'securityhub|eu-west-1',
  )!;
  await expect(shared.send(new GetFindingsCommand({}))).rejects.toThrow(/without an account/);
  expect(signedWith).toEqual([]);
});

test("one account's failing calls do not use up another account's retries on the shared client", async () => {
  // IAM: no client-side rate limit, so the storm is not slowed down by Warden's own buckets.
  const retrying = clientsOfServer(3);
  try {
    const storm = retrying.iam({ accessKeyId: 'ASIASTORM', secretAccessKey: 's' });
    // 30 calls, each retried twice: more than the 35 retries (500 / 14) one quota holds.
    const stormed = await Promise.allSettled(
      Array.from({ length: 30 }, () => storm.send(new GetAccountPasswordPolicyCommand({}))),
    );
    expect(stormed.every((r) => r.status === 'rejected')).toBe(true);
    expect(requests.get('ASIASTORM')).toBe(30 + 35); // its quota ran out

    // The other account's call fails once, and is retried from a quota of its own.
    const flaky = retrying.iam({ accessKeyId: 'ASIAFLAKY', secretAccessKey: 's' });
    const out = await flaky.send(new GetAccountPasswordPolicyCommand({}));
    expect(out.PasswordPolicy?.MinimumPasswordLength).toBe(14);
    expect(requests.get('ASIAFLAKY')).toBe(2);
  } finally {
    retrying.destroy();
  }
});
