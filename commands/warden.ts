import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { HandlerDeps } from '../src/slack/app.js';
import { clip, context, escapeMrkdwn, fitList, header, section } from '../src/slack/blocks/text.js';
import { membership } from '../src/workflow/membership.js';

/** The subcommands of /warden that work today, each with an example. */
export const WARDEN_SUBCOMMANDS = [
  { usage: '/warden help', what: 'lists every Warden command with an example' },
  { usage: '/warden whoami', what: 'shows your role and the accounts you own' },
  {
    usage: '/posture',
    what: 'the organization: open findings by severity, change in 7 days, worst accounts, gaps',
  },
  { usage: '/posture prod-web', what: 'one account (id, name or alias): owners, OU, its worst findings' },
];

function helpBlocks() {
  return [
    header('Warden commands'),
    section(WARDEN_SUBCOMMANDS.map((c) => `• \`${c.usage}\`: ${c.what}`).join('\n')),
    context('Warden governs the findings of your AWS Organization.'),
  ];
}

const ROLE_TEXT = {
  admin: 'an *admin*: you may triage and approve for every account',
  owner: 'an *owner*: you may triage the findings of the accounts below',
  viewer: 'a *viewer*: you may read posture and findings, and change none',
};

/** `/warden help | whoami`; anything else gets the usage, ephemerally, and nothing happens. */
export function wardenCommand(deps: HandlerDeps) {
  return async ({ command, ack, respond }: AllMiddlewareArgs & SlackCommandMiddlewareArgs) => {
    const words = command.text.trim().split(/\s+/).filter(Boolean);
    const [sub = 'help', ...rest] = words;
    if (sub === 'help' && rest.length === 0) {
      await ack({ response_type: 'ephemeral', text: 'Warden commands', blocks: helpBlocks() });
      return;
    }
    if (sub === 'whoami' && rest.length === 0) {
      // Acknowledge at once; the answer needs Slack's directory and the database.
      await ack();
      const who = await deps.directory.identify(command.user_id);
      const mine = await membership(deps.db, who, deps.config.policy);
      const blocks = [
        section(
          `<@${command.user_id}>${who.email ? ` (${escapeMrkdwn(who.email)})` : ''}, you are ${ROLE_TEXT[mine.role]}.`,
        ),
        ...fitList(
          mine.accounts,
          (a) => [
            section(`*${escapeMrkdwn(a.name)}* \`${a.id}\`${a.ouPath ? ` · ${escapeMrkdwn(a.ouPath)}` : ''}`),
          ],
          { reserved: 1, more: (n) => `…and ${n} more accounts` },
        ),
      ];
      await respond({ response_type: 'ephemeral', text: `You are ${mine.role}`, blocks });
      return;
    }
    const asked = clip(command.text.trim(), 200);
    await ack({
      response_type: 'ephemeral',
      text: `Unknown or malformed command: /warden ${asked}`,
      blocks: [section(`I don't know \`/warden ${escapeMrkdwn(asked)}\`.`), ...helpBlocks()],
    });
  };
}
