import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { syncAccounts } from '../../src/db/accounts.js';
import { auditEvents } from '../../src/db/schema.js';
import { createLogger } from '../../src/log.js';
import { createSlackApp, startSlackApp, type WardenSlackApp } from '../../src/slack/app.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { blockKitProblem, FakeSlack } from '../support/fake-slack.js';
import { postToSlackEndpoint } from '../support/signed-request.js';

const SECRET = '0123456789abcdef0123456789abcdef';
let slack: FakeSlack;
let db: TestDatabase;
let app: WardenSlackApp;
let base: string;

beforeAll(async () => {
  slack = await new FakeSlack().start();
  db = await openTestDatabase();
  const config = loadConfig(
    {
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      LOG_LEVEL: 'silent',
    },
    { requireSlack: true },
  );
  config.policy.admins = ['U0ADMIN'];
  await syncAccounts(
    db.db,
    [
      {
        id: '111111111111',
        name: 'prod-web',
        state: 'ACTIVE',
        ouId: 'ou-1',
        ouPath: 'Root/Production',
        tags: { owner: 'alice@example.com' },
      },
      {
        id: '222222222222',
        name: 'dev-web',
        state: 'ACTIVE',
        ouId: 'ou-2',
        ouPath: 'Root/Development',
        tags: { owner: 'U0BOB' },
      },
    ],
    new Date(),
    { complete: true },
  );
  slack.users.set('U0ALICE', 'alice@example.com');
  slack.users.set('U0EVE', 'eve@example.com');
  slack.users.set('U0ADMIN', 'admin@example.com');
  app = createSlackApp({ config, slack: config.slack!, db: db.db, log: createLogger('silent') });
  base = `http://127.0.0.1:${await startSlackApp(app, 0)}`;
});
afterAll(async () => {
  await app.stop();
  await slack.stop();
  await db.close();
});

const command = (text: string) => ({
  command: '/warden',
  text,
  user_id: 'U0ALICE',
  user_name: 'alice',
  channel_id: 'C0SEC',
  team_id: 'T0TEST',
  response_url: slack.responseUrl(),
  trigger_id: '1.2.3',
  token: 'legacy',
});

describe('the Slack endpoint', () => {
  test('/warden help answers ephemerally with every command and an example, within Block Kit limits', async () => {
    const res = await postToSlackEndpoint(`${base}/slack/events`, SECRET, command('help'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { response_type: string; blocks: unknown[] };
    expect(body.response_type).toBe('ephemeral');
    expect(JSON.stringify(body.blocks)).toContain('/warden help');
    expect(blockKitProblem('chat.postEphemeral', body)).toBeUndefined();
    // Bolt verified the bot token against the (fake) Web API named by SLACK_API_URL.
    expect(slack.callsTo('auth.test')).toHaveLength(1);
  });

  test('a bad argument gets the usage, and nothing else happens', async () => {
    const before = slack.calls.length;
    const res = await postToSlackEndpoint(`${base}/slack/events`, SECRET, command('frobnicate <!channel>'));
    const body = (await res.json()) as { text: string; blocks: unknown[] };
    expect(body.text).toMatch(/Unknown or malformed command/);
    expect(JSON.stringify(body.blocks)).toContain('frobnicate &lt;!channel&gt;');
    expect(slack.calls.length).toBe(before);
  });

  test('a forged signature is refused with 401 and changes nothing', async () => {
    const before = { calls: slack.calls.length, audit: await db.db.$count(auditEvents) };
    const res = await postToSlackEndpoint(`${base}/slack/events`, SECRET, command('help'), {
      signWith: 'ffffffffffffffffffffffffffffffff',
    });
    expect(res.status).toBe(401);
    expect({ calls: slack.calls.length, audit: await db.db.$count(auditEvents) }).toEqual(before);
  });

  test('a request older than five minutes is refused, even correctly signed', async () => {
    const res = await postToSlackEndpoint(`${base}/slack/events`, SECRET, command('help'), {
      timestamp: Math.floor(Date.now() / 1000) - 6 * 60,
    });
    expect(res.status).toBe(401);
  });

  test('/warden whoami acknowledges at once, then tells each person their role and accounts', async () => {
    const ask = async (user: string) => {
      const before = slack.callsTo('/response/r1').length;
      const res = await postToSlackEndpoint(`${base}/slack/events`, SECRET, {
        ...command('whoami'),
        user_id: user,
      });
      expect(res.status).toBe(200);
      const [answer] = (await slack.waitFor('/response/r1', before + 1)).slice(before);
      expect(blockKitProblem('chat.postEphemeral', answer!.args)).toBeUndefined();
      return JSON.stringify(answer!.args);
    };
    const alice = await ask('U0ALICE');
    expect(alice).toMatch(/you are an \*owner\*/);
    expect(alice).toContain('prod-web');
    expect(alice).not.toContain('dev-web');
    expect(await ask('U0EVE')).toMatch(/you are a \*viewer\*/);
    expect(await ask('U0ADMIN')).toMatch(/you are an \*admin\*/);
    await ask('U0ALICE');
    // Slack's directory is asked once per person, then cached.
    expect(slack.callsTo('users.info').filter((c) => c.args.user === 'U0ALICE')).toHaveLength(1);
  });

  test('/healthz reports the database', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: 'ok',
      database: expect.stringMatching(/migrations applied/),
    });
  });
});
