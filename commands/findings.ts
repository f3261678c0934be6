import type {
  AllMiddlewareArgs,
  BlockAction,
  SlackActionMiddlewareArgs,
  SlackCommandMiddlewareArgs,
} from '@slack/bolt';
import { decodePageKey, type PageAt } from '../src/posture/findings-list.js';
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

/** What a findings button asks for: a query's page, at a key (Next / Previous) or the first. */
interface PageAsked {
  query: string;
  offset: number;
  at?: PageAt;
}

/**
 * A button that shows a page of findings: its value is read by `parse` (undefined: a value Warden
 * never wrote, answered with an explanation), the page is read with the clicker's own access, and
 * replaces the message (`replace`) or arrives as a new one.
 */
function findingsButton(
  deps: HandlerDeps,
  parse: (value: unknown) => PageAsked | undefined,
  replace: boolean,
) {
  return async ({
    ack,
    action,
    body,
    respond,
  }: AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction>) => {
    await ack();
    let value: unknown;
    try {
      value = JSON.parse((action as { value?: string }).value ?? '');
    } catch {}
    const asked = parse(value);
    if (!asked) {
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
    const page = await findingsPageMessage(deps, { ...asked, userId: body.user.id, scope });
    await respond(
      replace
        ? { replace_original: true, ...page }
        : { response_type: 'ephemeral', replace_original: false, ...page },
    );
  };
}

/** Next / Previous: the button carries the query and the key the page follows or precedes; the page is read again and replaces the message. */
export const findingsPager = (deps: HandlerDeps) =>
  findingsButton(
    deps,
    (value) => {
      const cursor = value as Partial<PageCursor> | undefined;
      const after = typeof cursor?.a === 'string' ? decodePageKey(cursor.a) : undefined;
      const before = typeof cursor?.b === 'string' ? decodePageKey(cursor.b) : undefined;
      if (
        typeof cursor?.q !== 'string' ||
        !Number.isInteger(cursor.o) ||
        cursor.o! < 0 ||
        (after === undefined) === (before === undefined)
      )
        return undefined;
      return { query: cursor.q, offset: cursor.o!, at: after ? { after } : { before: before! } };
    },
    true,
  );

/**
 * A "Findings" button elsewhere (a failing requirement in `/compliance`): it carries a `/findings`
 * query (`{"q": …}`), whose first page arrives as a new message.
 */
export const findingsOpener = (deps: HandlerDeps) =>
  findingsButton(
    deps,
    (value) => {
      const q = (value as { q?: unknown } | undefined)?.q;
      return typeof q === 'string' ? { query: q, offset: 0 } : undefined;
    },
    false,
  );
