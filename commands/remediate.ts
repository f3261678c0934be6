import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { findingByReference } from '../src/posture/findings-list.js';
import type { HandlerDeps } from '../src/slack/app.js';
import { clip, escapeMrkdwn, section } from '../src/slack/blocks/text.js';
import { openRequestModal } from '../src/slack/interactions/remediation-request.js';

export const REMEDIATE_USAGE =
  'Usage: `/remediate <finding>`: the finding’s number (`#42`, shown on every finding) or its Security Hub Id.\n' +
  'Example: `/remediate #42`';

/** `/remediate <finding>`: opens the Request remediation modal for that finding. */
export function remediateCommand(deps: HandlerDeps) {
  return async ({ command, ack, respond }: AllMiddlewareArgs & SlackCommandMiddlewareArgs) => {
    const words = command.text.trim().split(/\s+/).filter(Boolean);
    if (words.length !== 1 || words[0] === 'help') {
      await ack({
        response_type: 'ephemeral',
        text: 'How to use /remediate',
        blocks: [section(REMEDIATE_USAGE)],
      });
      return;
    }
    await ack();
    const findingId = await findingByReference(deps.db, words[0]!);
    if (findingId === undefined) {
      await respond({
        response_type: 'ephemeral',
        text: 'No such finding',
        blocks: [section(`No finding is \`${escapeMrkdwn(clip(words[0]!, 200))}\`.\n${REMEDIATE_USAGE}`)],
      });
      return;
    }
    await openRequestModal(deps, {
      userId: command.user_id,
      triggerId: command.trigger_id,
      findingId,
      responseUrl: command.response_url,
      respond,
    });
  };
}
