import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { syncAccounts } from '../../src/db/accounts.js';
import { auditEvents } from '../../src/db/schema.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { blockKitProblem } from '../support/fake-slack.js';
import { postToSlackEndpoint } from '../support/signed-request.js';
import { SIGNING_SECRET, type SlackHarness, slackHarness } from '../support/slack-harness.js';

let db: TestDatabase;
let s: SlackHarness;

beforeAll(async () => {
  db = await openTestDatabase();
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
  s = await slackHarness(db.db);
  s.config.policy.admins = ['U0ADMIN'];
  s.slack.users.set('U0ALICE', 'alice@example.com');
  s.slack.users.set('U0EVE', 'eve@example.com');
  s.slack.users.set('U0ADMIN', 'admin@example.com');
});
afterAll(async () => {
  await s.close();
  await db.close();
});

const helpForm = (text: string) => ({
  command: '/warden',
  text,
  user_id: 'U0ALICE',
  channel_id: 'C0SEC',
  team_id: 'T0TEST',
  response_url: s.slack.responseUrl(),
  trigger_id: '1.2.3',
});

describe('the Slack endpoint', () => {
  test('/warden help answers ephemerally with every command and an example, within Block Kit limits', async () => {
    const res = await s.command('/warden', 'help');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { response_type: string; blocks: unknown[] };
    expect(body.response_type).toBe('ephemeral');
    expect(JSON.stringify(body.blocks)).toContain('/warden help');
    expect(blockKitProblem('chat.postEphemeral', body)).toBeUndefined();
    // Bolt verified the bot token against the (fake) Web API named by SLACK_API_URL.
    expect(s.slack.callsTo('auth.test')).toHaveLength(1);
  });

  test('a bad argument gets the usage, and nothing else happens', async () => {
    const before = s.slack.calls.length;
    const res = await s.command('/warden', 'frobnicate <!channel>');
    const body = (await res.json()) as { text: string; blocks: unknown[] };
    expect(body.text).toMatch(/Unknown or malformed command/);
    expect(JSON.stringify(body.blocks)).toContain('frobnicate &lt;!channel&gt;');
    expect(s.slack.calls.length).toBe(before);
  });

  test('a forged signature is refused with 401 and changes nothing', async () => {
    const before = { calls: s.slack.calls.length, audit: await db.db.$count(auditEvents) };
    const res = await postToSlackEndpoint(s.endpoint, SIGNING_SECRET, helpForm('help'), {
      signWith: 'ffffffffffffffffffffffffffffffff',
    });
    expect(res.status).toBe(401);
    expect({ calls: s.slack.calls.length, audit: await db.db.$count(auditEvents) }).toEqual(before);
  });

  test('a request older than five minutes is refused, even correctly signed', async () => {
    const res = await postToSlackEndpoint(s.endpoint, SIGNING_SECRET, helpForm('help'), {
      timestamp: Math.floor(Date.now() / 1000) - 6 * 60,
    });
    expect(res.status).toBe(401);
  });

  test('/warden whoami acknowledges at once, then tells each person their role and accounts', async () => {
    const ask = async (user: string, id: string) => {
      expect((await s.command('/warden', 'whoami', user, id)).status).toBe(200);
      return (await s.answer(id)).text;
    };
    const alice = await ask('U0ALICE', 'w1');
    expect(alice).toMatch(/you are an \*owner\*/);
    expect(alice).toContain('prod-web');
    expect(alice).not.toContain('dev-web');
    expect(await ask('U0EVE', 'w2')).toMatch(/you are a \*viewer\*/);
    expect(await ask('U0ADMIN', 'w3')).toMatch(/you are an \*admin\*/);
    await ask('U0ALICE', 'w4');
    // Slack's directory is asked once per person, then cached.
    expect(s.slack.callsTo('users.info').filter((c) => c.args.user === 'U0ALICE')).toHaveLength(1);
  });

  test('/healthz reports the database: ok, and nothing more to whoever asks', async () => {
    const res = await fetch(`${s.base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});
