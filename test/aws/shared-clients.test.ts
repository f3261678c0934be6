import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetFindingsCommand, type SecurityHubClient } from '@aws-sdk/client-securityhub';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { AwsClients, newStats } from '../../src/aws/clients.js';

// Security Hub and IAM clients are built once per region and shared by every account: each call
// must still be signed as its own account and counted against its own target, however calls of
// different accounts interleave.

/** The access key each request was signed with, in arrival order; answers after `delayMs`. */
const signedWith: string[] = [];
const server = createServer((req, res) => {
  signedWith.push(/Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? 'unsigned');
  req.resume();
  setTimeout(
    () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ Findings: [] }));
    },
    5 + Math.random() * 10,
  );
});
let clients: AwsClients;
beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  clients = new AwsClients({
    maxAttempts: 1,
    maxSockets: 8,
    target: {
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDWARDENITSELF', secretAccessKey: 'x' },
    },
  });
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
  const { GetAccountPasswordPolicyCommand } = await import('@aws-sdk/client-iam');
  await Promise.all([
    clients
      .iam(account(7))
      .send(new GetAccountPasswordPolicyCommand({}))
      .catch(() => undefined),
    clients
      .iam(account(8))
      .send(new GetAccountPasswordPolicyCommand({}))
      .catch(() => undefined),
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
