import type {
  AllMiddlewareArgs,
  BlockAction,
  SlackActionMiddlewareArgs,
  UsersSelectAction,
} from '@slack/bolt';
import { assign } from '../../workflow/triage.js';
import type { HandlerDeps } from '../app.js';
import { findingCardMessage } from '../finding-views.js';
import { actOnFinding } from './finding-action.js';

/**
 * Assign (a user picker on each finding): the finding is assigned, and the assignee gets a direct
 * message with the finding and its actions. Choosing the same person again changes nothing.
 */
export function assignSelect(deps: HandlerDeps) {
  return async ({
    ack,
    action,
    body,
    respond,
  }: AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction>) => {
    await ack();
    const assignee = (action as UsersSelectAction).selected_user;
    await actOnFinding(
      deps,
      { userId: body.user.id, respond: body.response_url ? respond : undefined },
      { blockId: action.block_id, attempted: 'assign' },
      async ({ finding, who }) => {
        if (!assignee || !/^[UW][A-Z0-9]+$/.test(assignee)) return { changed: false, finding, sources: [] };
        return {
          ...(await assign(deps.db, finding.id, assignee, who.userId)),
          afterwards: async () => {
            const card = await findingCardMessage(
              deps,
              finding.id,
              `<@${who.userId}> assigned this finding to you.`,
            );
            if (card) await deps.web.chat.postMessage({ channel: assignee, ...card });
          },
        };
      },
    );
  };
}
