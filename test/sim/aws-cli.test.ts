import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { demoScenario } from '../../src/sim/scenarios.js';
import { type Simulator, startSimulator } from '../../src/sim/server.js';

// The real AWS CLI (a different SDK, botocore, with its own signing and parsers) against the
// simulator: proof that it speaks the services' protocols, not only what Warden's code expects.

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator(demoScenario());
});
afterAll(async () => {
  await sim.close();
});

async function aws(args: string[], credentials?: Record<string, string>): Promise<unknown> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
    ...sim.env,
    ...credentials,
  };
  // --endpoint-url as well as AWS_ENDPOINT_URL: CLI versions before 2.13 (Debian's) read only the flag.
  const { stdout } = await promisify(execFile)(
    'aws',
    [...args, '--endpoint-url', sim.url, '--output', 'json'],
    {
      env,
      timeout: 60_000,
    },
  );
  return JSON.parse(stdout);
}

async function assumeAudit(account: string) {
  const out = (await aws([
    'sts',
    'assume-role',
    '--role-arn',
    `arn:aws:iam::${account}:role/WardenAudit`,
    '--role-session-name',
    'cli-test',
  ])) as {
    Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string };
    AssumedRoleUser: { Arn: string };
  };
  return {
    arn: out.AssumedRoleUser.Arn,
    env: {
      AWS_ACCESS_KEY_ID: out.Credentials.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: out.Credentials.SecretAccessKey,
      AWS_SESSION_TOKEN: out.Credentials.SessionToken,
    },
  };
}

describe('the AWS CLI against the simulator', () => {
  test('organizations list-accounts pages through every seeded account', async () => {
    const out = (await aws(['organizations', 'list-accounts'])) as {
      Accounts: Array<{ Id: string; Name: string; State?: string; Status: string }>;
    };
    expect(out.Accounts.map((a) => a.Name)).toEqual(sim.world.scenario.accounts.map((a) => a.name));
    // Older CLI models (Debian's 2.9) know only `Status`; newer ones also print `State`.
    expect(out.Accounts.every((a) => (a.State ?? a.Status) === 'ACTIVE')).toBe(true);
  });

  test('sts assume-role returns credentials of the target account', async () => {
    const target = sim.world.scenario.accounts[3]!.id;
    const { arn, env } = await assumeAudit(target);
    expect(arn).toBe(`arn:aws:sts::${target}:assumed-role/WardenAudit/cli-test`);
    expect(await aws(['sts', 'get-caller-identity'], env)).toMatchObject({ Account: target });
  });

  test('iam get-credential-report returns the seeded users as base64 CSV', async () => {
    const account = sim.world.scenario.accounts[3]!;
    const { env } = await assumeAudit(account.id);
    let state = '';
    for (let i = 0; i < 5 && state !== 'COMPLETE'; i++) {
      state = ((await aws(['iam', 'generate-credential-report'], env)) as { State: string }).State;
    }
    expect(state).toBe('COMPLETE');
    const report = (await aws(['iam', 'get-credential-report'], env)) as {
      Content: string;
      ReportFormat: string;
    };
    expect(report.ReportFormat).toBe('text/csv');
    const csv = Buffer.from(report.Content, 'base64').toString('utf8');
    expect(csv.split('\n')[0]).toMatch(/^user,arn,user_creation_time,password_enabled/);
    expect(csv).toContain(`<root_account>,arn:aws:iam::${account.id}:root`);
    for (const u of account.iam!.users!)
      expect(csv).toContain(`${u.name},arn:aws:iam::${account.id}:user/${u.name}`);
  });

  test('securityhub get-findings applies filters and prints the seeded findings', async () => {
    const account = sim.world.scenario.accounts[4]!;
    const { env } = await assumeAudit(account.id);
    const out = (await aws(
      [
        'securityhub',
        'get-findings',
        '--region',
        'eu-west-1',
        '--filters',
        '{"ComplianceStatus":[{"Value":"FAILED","Comparison":"EQUALS"}],"RecordState":[{"Value":"ACTIVE","Comparison":"EQUALS"}]}',
      ],
      env,
    )) as { Findings: Array<{ Id: string; AwsAccountId: string; GeneratorId: string }> };
    const expected = (sim.world.findings.get(`${account.id}|eu-west-1`) ?? []).filter(
      (f) => f.compliance === 'FAILED',
    );
    expect(out.Findings.map((f) => f.Id).sort()).toEqual(expected.map((f) => f.id).sort());
    expect(
      out.Findings.every(
        (f) => f.AwsAccountId === account.id && f.GeneratorId.startsWith('security-control/'),
      ),
    ).toBe(true);
  });
});
