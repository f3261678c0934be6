import type {
  AllMiddlewareArgs,
  BlockAction,
  ButtonAction,
  SlackActionMiddlewareArgs,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';
import type { AccessReviewItem, Account } from '../../db/schema.js';
import { hasCode } from '../../errors.js';
import { itemToDecide, keep, reassign, requestRevocations, revoke } from '../../workflow/access-reviews.js';
import { recordDenial } from '../../workflow/denials.js';
import type { Identity } from '../../workflow/policy.js';
import { deliverAccount } from '../access-reviews.js';
import type { HandlerDeps } from '../app.js';
import {
  keepModal,
  notMineModal,
  REVIEW_ACTIONS,
  REVIEW_CALLBACKS,
  REVIEW_FIELDS,
  revokeModal,
} from '../blocks/access-review.js';
import { homeTab } from '../finding-views.js';
import { announceRequest } from '../remediation-messages.js';
import { respondVia } from '../respond.js';
import { type ClickOrigin, nameOf } from './finding-action.js';
import { modalMetadata, readModalMetadata, refuseForm, takeReason } from './modal-form.js';
import { tell } from './tell.js';

/**
 * An access review's buttons (Keep…, Revoke…, Not mine…) and their modals. Who may decide is checked
 * on the click and again on the submission (the item is read again each time): a refusal is audited,
 * the person told why, and nothing changes.
 */

const MODALS = {
  [REVIEW_ACTIONS.keep]: keepModal,
  [REVIEW_ACTIONS.revoke]: revokeModal,
  [REVIEW_ACTIONS.notMine]: notMineModal,
} as const;

/** The item, if this person may decide on it now; otherwise refused (audited, told) and undefined. */
async function decidable(
  deps: HandlerDeps,
  origin: ClickOrigin,
  itemId: number,
  attempted: string,
): Promise<{ item: AccessReviewItem; account: Account | undefined; who: Identity } | undefined> {
  const who = await deps.directory.identify(origin.userId);
  try {
    const { item, account } = await itemToDecide(deps.db, deps.config, itemId, who);
    return { item, account, who };
  } catch (err) {
    if (!hasCode(err, 'review-refused')) throw err;
    await recordDenial(deps.db, {
      actor: origin.userId,
      attempted: `${attempted} access review item ${itemId}`,
      subject: `access-review-item:${itemId}`,
      reason: (err as Error).message,
    });
    await tell(deps, origin, `:no_entry: ${(err as Error).message}; nothing changed.`);
    return undefined;
  }
}

/** A principal's button: its modal, for someone who may decide on it. */
export function reviewButton(deps: HandlerDeps) {
  return async ({
    ack,
    action,
    body,
    respond,
  }: AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction>) => {
    await ack();
    const origin: ClickOrigin = { userId: body.user.id, respond: body.response_url ? respond : undefined };
    const itemId = Number((action as ButtonAction).value);
    const open = MODALS[action.action_id as keyof typeof MODALS];
    if (!Number.isInteger(itemId) || !open) return;
    const found = await decidable(deps, origin, itemId, action.action_id);
    if (!found) return;
    await deps.web.views.open({
      trigger_id: body.trigger_id,
      view: open(found.item, modalMetadata(itemId, body.response_url), deps.now()),
    });
  };
}

type Submission = AllMiddlewareArgs & SlackViewMiddlewareArgs<ViewSubmitAction>;

const fieldOf = (view: Submission['view'], block: string) => view.state.values[block]?.value;

/** Runs a submitted decision for someone who may still make it, then redraws the account's messages. */
async function submitted(
  deps: HandlerDeps,
  input: Submission,
  callback: string,
  decide: (found: { item: AccessReviewItem; who: Identity }, origin: ClickOrigin) => Promise<string>,
): Promise<void> {
  const { body, view } = input;
  const metadata = readModalMetadata(view.private_metadata);
  const origin: ClickOrigin = { userId: body.user.id, respond: respondVia(metadata?.r, deps.slackConfig) };
  if (!metadata) return refuseForm(deps, origin, callback);
  const found = await decidable(deps, origin, metadata.id, callback);
  if (!found) return;
  try {
    const said = await decide(found, origin);
    await tell(deps, origin, said);
  } catch (err) {
    if (!hasCode(err, 'review-refused')) throw err;
    await tell(deps, origin, `:no_entry: ${(err as Error).message}; nothing changed.`);
  }
  if (found.account) await deliverAccount(deps, found.item.reviewId, found.account);
  // Home lists the first principals waiting for this person: it shows the next ones now.
  await deps.web.views.publish({ user_id: body.user.id, view: await homeTab(deps, found.who) });
}

export function submitKeep(deps: HandlerDeps) {
  return async (input: Submission) => {
    await input.ack();
    await submitted(deps, input, REVIEW_CALLBACKS.keep, async ({ item, who }) => {
      const note = fieldOf(input.view, REVIEW_FIELDS.note)?.value ?? undefined;
      await keep(deps, { itemId: item.id, who, actor: input.body.user.id, note, now: deps.now() });
      return `:white_check_mark: ${item.name} keeps its access (access review #${item.reviewId}).`;
    });
  };
}

export function submitNotMine(deps: HandlerDeps) {
  return async (input: Submission) => {
    const to = fieldOf(input.view, REVIEW_FIELDS.owner)?.selected_user ?? '';
    if (!to || to === input.body.user.id) {
      await input.ack({
        response_action: 'errors',
        errors: { [REVIEW_FIELDS.owner]: to ? 'Name someone else: it is yours now.' : 'Name its owner.' },
      });
      return;
    }
    await input.ack();
    await submitted(deps, input, REVIEW_CALLBACKS.notMine, async ({ item, who }) => {
      const note = fieldOf(input.view, REVIEW_FIELDS.note)?.value ?? undefined;
      await reassign(deps, { itemId: item.id, who, actor: input.body.user.id, to, note, now: deps.now() });
      return `:arrow_right: ${item.name} is <@${to}>’s to decide now (access review #${item.reviewId}).`;
    });
  };
}

/**
 * Revoke: the decision and its findings are recorded, then a remediation request is made for each
 * finding a playbook can fix (its plan read now with the audit role), announced to its approvers as
 * any request is. A credential that is already gone is named and needs nothing.
 */
export function submitRevoke(deps: HandlerDeps) {
  return async (input: Submission) => {
    const reason = await takeReason(input.ack, input.view);
    if (!reason) return;
    await submitted(deps, input, REVIEW_CALLBACKS.revoke, async ({ item, who }) => {
      const actor = input.body.user.id;
      const { opened } = await revoke(deps, { itemId: item.id, who, actor, reason, now: deps.now() });
      const { requests, notes } = await requestRevocations(deps, {
        item,
        opened,
        requester: nameOf(who),
        actor,
        reason,
      });
      for (const request of requests) await announceRequest(deps, request.id);
      const requested = requests.map((r) => r.id);
      const what = requested.length
        ? `remediation ${requested.map((r) => `#${r}`).join(', ')} wait for approval`
        : item.kind === 'role'
          ? `finding ${opened.map((f) => `#${f.id}`).join(', ')} is open for the account’s owners`
          : 'nothing was left to remove';
      return `:no_entry_sign: ${item.name} is to be revoked (access review #${item.reviewId}): ${what}.${notes.length ? ` ${notes.join('; ')}.` : ''}`;
    });
  };
}
