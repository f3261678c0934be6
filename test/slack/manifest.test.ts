import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { WARDEN_SUBCOMMANDS } from '../../commands/warden.js';

const manifest = JSON.parse(readFileSync(new URL('../../manifest.json', import.meta.url), 'utf8')) as {
  features: {
    slash_commands: Array<{ command: string; url: string }>;
    app_home: { home_tab_enabled: boolean };
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    interactivity: { request_url: string };
    event_subscriptions: { request_url: string; bot_events: string[] };
  };
};

test('the manifest declares every slash command Warden answers, all on /slack/events', () => {
  const answered = new Set(WARDEN_SUBCOMMANDS.map((c) => c.usage.split(' ')[0]));
  expect(new Set(manifest.features.slash_commands.map((c) => c.command))).toEqual(answered);
  for (const c of manifest.features.slash_commands) expect(c.url).toMatch(/\/slack\/events$/);
  expect(manifest.settings.interactivity.request_url).toMatch(/\/slack\/events$/);
});

test('the bot asks for the scopes it uses and no more', () => {
  expect(manifest.oauth_config.scopes.bot.sort()).toEqual([
    'chat:write',
    'commands',
    'files:write',
    'usergroups:read',
    'users:read',
    'users:read.email',
  ]);
});

test('the Home tab is enabled and Warden hears when someone opens it', () => {
  expect(manifest.features.app_home.home_tab_enabled).toBe(true);
  expect(manifest.settings.event_subscriptions.bot_events).toEqual(['app_home_opened']);
  expect(manifest.settings.event_subscriptions.request_url).toMatch(/\/slack\/events$/);
});
