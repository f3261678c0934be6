import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from '../src/config.js';

function problemsOf(env: Record<string, string>, options = {}): string {
  try {
    loadConfig(env, options);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected the configuration to be refused');
}

function policyFile(content: string, name = 'policy.yaml'): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'warden-policy-')), name);
  writeFileSync(file, content);
  return file;
}

const BOT_TOKEN = 'xoxb-1111-2222-abcdefSECRET';
const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';

describe('loadConfig', () => {
  test('with no variables at all it runs on the embedded database with every default', () => {
    const config = loadConfig({}, { cwd: '/srv/warden' });
    expect(config.database).toEqual({ url: undefined, dataDir: '/srv/warden/.warden' });
    expect(config.slack).toBeUndefined();
    expect(config.port).toBe(3000);
    expect(config.logLevel).toBe('info');
    expect(config.policy.slaDays).toEqual({
      critical: 7,
      high: 30,
      medium: 90,
      low: 180,
      informational: 365,
    });
    expect(config.policy.suppression.maxDays).toBe(90);
  });

  test('a missing secret and a malformed value are reported together, by name, without their values', () => {
    const message = problemsOf(
      { SLACK_BOT_TOKEN: BOT_TOKEN, PORT: 'eighty', LOG_LEVEL: 'loud' },
      { requireSlack: true },
    );
    expect(message).toMatch(/SLACK_SIGNING_SECRET: missing/);
    expect(message).toMatch(/PORT: must be a port number/);
    expect(message).toMatch(/LOG_LEVEL: must be one of/);
    expect(message).not.toContain(BOT_TOKEN);
    expect(message).not.toContain('eighty');
    expect(message).not.toContain('loud');
  });

  test('a malformed secret is named but its value is never echoed', () => {
    const message = problemsOf(
      { SLACK_BOT_TOKEN: 'xoxp-user-token-qqvalueqq', SLACK_SIGNING_SECRET: 'not hex at all qqvalueqq' },
      { requireSlack: true },
    );
    expect(message).toMatch(/SLACK_BOT_TOKEN: must be a bot token/);
    expect(message).toMatch(/SLACK_SIGNING_SECRET: must be the app’s signing secret/);
    expect(message).not.toMatch(/qqvalueqq|xoxp|not hex/);
  });

  test('a database URL of the wrong kind is named, and its password never shown', () => {
    const message = problemsOf({ DATABASE_URL: 'mysql://root:hunter2@db/warden' });
    expect(message).toMatch(/DATABASE_URL: must be a postgres:\/\//);
    expect(message).not.toContain('hunter2');
  });

  test('commands that talk to Slack require its settings', () => {
    const message = problemsOf({}, { requireSlack: true });
    expect(message).toMatch(/SLACK_BOT_TOKEN: missing \(required to talk to Slack\)/);
    expect(message).toMatch(/SLACK_SIGNING_SECRET: missing/);
  });

  test('Socket Mode needs the app token instead of the signing secret', () => {
    const config = loadConfig(
      { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_APP_TOKEN: 'xapp-1-A1-xyz' },
      { requireSlack: true },
    );
    expect(config.slack).toMatchObject({
      botToken: BOT_TOKEN,
      appToken: 'xapp-1-A1-xyz',
      signingSecret: undefined,
    });
  });

  test('the Slack settings are checked only where Slack is served: a bad secret stops serve, not migrate or scan', () => {
    const env = { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: 'not-hex-qqvalueqq' };
    expect(loadConfig(env).slack).toBeUndefined();
    expect(loadConfig({ SLACK_BOT_TOKEN: BOT_TOKEN }).slack).toBeUndefined();
    expect(problemsOf(env, { requireSlack: true })).toMatch(
      /SLACK_SIGNING_SECRET: must be the app’s signing secret/,
    );
    // Sending a digest uses the Web API only: the bot token, not the signing secret.
    expect(loadConfig(env, { requireSlack: 'web' }).slack).toMatchObject({ botToken: BOT_TOKEN });
    expect(problemsOf({ SLACK_SIGNING_SECRET: 'x' }, { requireSlack: 'web' })).toMatch(
      /SLACK_BOT_TOKEN: missing/,
    );
    // Socket Mode does not use the signing secret, so a bad one does not stop it.
    expect(
      loadConfig({ ...env, SLACK_APP_TOKEN: 'xapp-1-A1-xyz' }, { requireSlack: true }).slack,
    ).toMatchObject({ appToken: 'xapp-1-A1-xyz', signingSecret: undefined });
  });

  test('the described configuration never contains a secret', () => {
    const config = loadConfig(
      {
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET.replace(/[yz]/g, 'f'),
        DATABASE_URL: 'postgres://warden:hunter2@db.internal:5432/warden',
      },
      { requireSlack: true },
    );
    const shown = JSON.stringify(describeConfig(config));
    expect(shown).not.toContain(BOT_TOKEN);
    expect(shown).not.toContain('hunter2');
    expect(shown).toContain('db.internal');
  });

  test('Warden writes through a remediation role of its own, and syncs triage to Security Hub unless told not to', () => {
    const defaults = loadConfig({}).aws;
    expect(defaults.auditRole.name).toBe('WardenAudit');
    expect(defaults.remediationRole).toEqual({ name: 'WardenRemediation', externalId: undefined });
    expect(defaults.securityHubSync).toBe(true);
    expect(defaults.remediation).toEqual({ mode: 'dry-run', requestTtlMs: 72 * 3_600_000 });
    expect(loadConfig({}).policy.remediation.twoApprovalsFor).toEqual(['irreversible', 'critical']);
    expect(loadConfig({ WARDEN_REMEDIATION_MODE: 'execute' }).aws.remediation.mode).toBe('execute');
    expect(problemsOf({ WARDEN_REMEDIATION_MODE: 'yolo' })).toMatch(
      /WARDEN_REMEDIATION_MODE: must be dry-run or execute/,
    );
    const set = loadConfig({
      WARDEN_REMEDIATION_ROLE_NAME: 'SecOpsWriter',
      WARDEN_REMEDIATION_EXTERNAL_ID: 'ext-qqsecretqq',
      WARDEN_SECURITYHUB_SYNC: 'off',
    });
    expect(set.aws.remediationRole).toEqual({ name: 'SecOpsWriter', externalId: 'ext-qqsecretqq' });
    expect(set.aws.securityHubSync).toBe(false);
    expect(JSON.stringify(describeConfig(set))).not.toContain('qqsecretqq');
    const message = problemsOf({
      WARDEN_SECURITYHUB_SYNC: 'maybe',
      WARDEN_REMEDIATION_ROLE_NAME: 'no spaces',
    });
    expect(message).toMatch(/WARDEN_SECURITYHUB_SYNC: must be true or false/);
    expect(message).toMatch(/WARDEN_REMEDIATION_ROLE_NAME: must be an IAM role name/);
  });

  test('schedules are cron expressions in one time zone; a bad one is named', () => {
    const { schedule } = loadConfig({
      WARDEN_TIMEZONE: 'Europe/Paris',
      WARDEN_DAILY_DIGEST_CRON: '30 8 * * 1-5',
    });
    expect(schedule).toMatchObject({
      enabled: true,
      timezone: 'Europe/Paris',
      catchUpDigests: true,
      cron: { dailyDigest: '30 8 * * 1-5', weeklyDigest: '0 9 * * 1', scan: '0 * * * *' },
    });
    const message = problemsOf({
      WARDEN_TIMEZONE: 'Mars/Olympus',
      WARDEN_WEEKLY_DIGEST_CRON: '61 9 * * 1',
      WARDEN_SCAN_CRON: '* * * * * *',
    });
    expect(message).toMatch(/WARDEN_TIMEZONE: must be an IANA time zone/);
    expect(message).toMatch(/WARDEN_WEEKLY_DIGEST_CRON: must be a five-field cron expression/);
    expect(message).toMatch(/WARDEN_SCAN_CRON: must be a five-field cron expression/);
  });

  test('the policy file sets owners, admins, SLAs and routing, in YAML or JSON', () => {
    const yaml = policyFile(`
admins: [U0ADMIN]
owners:
  "111122223333": [alice@example.com, U0ALICE]
slaDays: { critical: 3 }
routing:
  defaultChannel: "#security"
  ous: { Root/Workloads/Prod: "#prod-security" }
`);
    const fromYaml = loadConfig({ WARDEN_POLICY_FILE: yaml }).policy;
    expect(fromYaml.admins).toEqual(['U0ADMIN']);
    expect(fromYaml.owners['111122223333']).toEqual(['alice@example.com', 'U0ALICE']);
    expect(fromYaml.slaDays).toMatchObject({ critical: 3, high: 30 });
    expect(fromYaml.routing.ous).toEqual({ 'Root/Workloads/Prod': '#prod-security' });

    const json = policyFile(JSON.stringify({ managers: ['boss@example.com'] }), 'policy.json');
    expect(loadConfig({ WARDEN_POLICY_FILE: json }).policy.managers).toEqual(['boss@example.com']);
  });

  test('every problem in the policy file is named by its path, together with the environment’s', () => {
    const file = policyFile(`
owners:
  "1234": [alice@example.com]
slaDays: { critical: -1 }
admins: [nobody]
colour: blue
`);
    const message = problemsOf({ WARDEN_POLICY_FILE: file, PORT: '70000' });
    expect(message).toContain(`WARDEN_POLICY_FILE (${file}): owners.1234`);
    expect(message).toMatch(/slaDays\.critical/);
    expect(message).toMatch(/admins\.0: must be a Slack user id/);
    expect(message).toMatch(/colour/);
    expect(message).toMatch(/PORT: must be between 1 and 65535/);
  });

  test('a policy file that cannot be read or parsed is named', () => {
    expect(problemsOf({ WARDEN_POLICY_FILE: '/nonexistent/policy.yaml' })).toMatch(
      /WARDEN_POLICY_FILE \(\/nonexistent\/policy.yaml\): cannot be read \(ENOENT\)/,
    );
    expect(problemsOf({ WARDEN_POLICY_FILE: policyFile('admins: [unclosed') })).toMatch(
      /not valid YAML or JSON/,
    );
  });
});
