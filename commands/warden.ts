import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { SlackDeps } from '../src/slack/app.js';
import { clip, context, escapeMrkdwn, header, section } from '../src/slack/blocks/text.js';

/** The subcommands of /warden that work today, each with an example. */
export const WARDEN_SUBCOMMANDS = [
  { usage: '/warden help', what: 'lists every Warden command with an example' },
];

function helpBlocks() {
  return [
    header('Warden commands'),
    section(WARDEN_SUBCOMMANDS.map((c) => `• \`${c.usage}\`: ${c.what}`).join('\n')),
    context('Warden governs the findings of your AWS Organization.'),
  ];
}

/** `/warden help`; anything else gets the usage, ephemerally, and nothing happens. */
export function wardenCommand(_deps: SlackDeps) {
  return async ({ command, ack }: AllMiddlewareArgs & SlackCommandMiddlewareArgs) => {
    const [sub = 'help', ...rest] = command.text.trim().split(/\s+/).filter(Boolean);
    if (sub === 'help' && rest.length === 0) {
      await ack({ response_type: 'ephemeral', text: 'Warden commands', blocks: helpBlocks() });
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
