import type {
  AllMiddlewareArgs,
  BlockAction,
  SlackActionMiddlewareArgs,
  SlackCommandMiddlewareArgs,
} from '@slack/bolt';
import { decodePageKey } from '../src/posture/findings-list.js';
import type { HandlerDeps } from '../src/slack/app.js';
import { FINDINGS_USAGE, type PageCursor } from '../src/slack/blocks/findings.js';
import { section } from '../src/slack/blocks/text.js';
import { findingsPageMessage } from '../src/slack/finding-views.js';
import { readAccess, refuseRead } from '../src/slack/read-access.js';

/** `/findings …`: one page of findings with their actions, and Next / Previous. */
export function findingsCommand(deps: HandlerDeps) {
  return async ({ command, ack, respond }: AllMiddlewareArgs & SlackCommandMiddlewareArgs) => {
    if (command.text.trim() === 'help') {
      await ack({
        response_type: 'ephemeral',
        text: 'How to use /findings',
        blocks: [section(FINDINGS_USAGE)],
      });
      return;
    }
    await ack();
    const { scope } = await readAccess(deps, command.user_id);
    if (scope.kind === 'none') {
      const text = await refuseRead(deps, command.user_id, 'read findings', scope.reason);
      await respond({ response_type: 'ephemeral', text });
      return;
    }
    const page = await findingsPageMessage(deps, {
      query: command.text,
      userId: command.user_id,
      offset: 0,
      scope,
    });
    await respond({ response_type: 'ephemeral', ...page });
  };
}

/** Next / Previous: the button carries the query and the key the page follows or precedes; the page is read again and replaces the message. */
export function findingsPager(deps: HandlerDeps) {
  return async ({
    ack,
    action,
    body,
    respond,
  }: AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction>) => {
    await ack();
    let cursor: Partial<PageCursor> | undefined;
    try {
      cursor = JSON.parse((action as { value?: string }).value ?? '') as Partial<PageCursor>;
    } catch {}
    const after = typeof cursor?.a === 'string' ? decodePageKey(cursor.a) : undefined;
    const before = typeof cursor?.b === 'string' ? decodePageKey(cursor.b) : undefined;
    if (
      typeof cursor?.q !== 'string' ||
      !Number.isInteger(cursor.o) ||
      cursor.o! < 0 ||
      (after === undefined) === (before === undefined)
    ) {
      await respond({
        response_type: 'ephemeral',
        replace_original: false,
        text: 'That page button is not one Warden drew. Run `/findings` again.',
      });
      return;
    }
    const { scope } = await readAccess(deps, body.user.id);
    if (scope.kind === 'none') {
      const text = await refuseRead(deps, body.user.id, 'read findings', scope.reason);
      await respond({ response_type: 'ephemeral', replace_original: false, text });
      return;
    }
    const page = await findingsPageMessage(deps, {
      query: cursor.q,
      userId: body.user.id,
      offset: cursor.o!,
      at: after ? { after } : { before: before! },
      scope,
    });
    await respond({ replace_original: true, ...page });
  };
}

/**
 * A "Findings" button elsewhere (a failing requirement in `/compliance`): it carries a `/findings`
 * query, whose first page arrives as a new message, read with the clicker's own access.
 */
export function findingsOpener(deps: HandlerDeps) {
  return async ({
    ack,
    action,
    body,
    respond,
  }: AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction>) => {
    await ack();
    let query: unknown;
    try {
      query = (JSON.parse((action as { value?: string }).value ?? '') as { q?: unknown }).q;
    } catch {}
    if (typeof query !== 'string') {
      await respond({
        response_type: 'ephemeral',
        replace_original: false,
        text: 'That button is not one Warden drew. Run `/findings` again.',
      });
      return;
    }
    const { scope } = await readAccess(deps, body.user.id);
    if (scope.kind === 'none') {
      const text = await refuseRead(deps, body.user.id, 'read findings', scope.reason);
      await respond({ response_type: 'ephemeral', replace_original: false, text });
      return;
    }
    const page = await findingsPageMessage(deps, { query, userId: body.user.id, offset: 0, scope });
    await respond({ response_type: 'ephemeral', replace_original: false, ...page });
  };
}
