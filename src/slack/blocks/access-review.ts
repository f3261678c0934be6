import type { ModalView } from '@slack/types';
import { REMEDIATION_FIELDS } from './remediation.js';
import {
  actions,
  type Block,
  button,
  clip,
  context,
  escapeMrkdwn,
  header,
  plainText,
  section,
  slackDate,
} from './text.js';

/** A principal under review as stored (src/collect/principals.ts, dates as JSON strings). */
export interface ReviewItemView {
  id: number;
  kind: 'user' | 'role';
  name: string;
  details: Record<string, unknown>;
}

interface UserDetails {
  console: boolean;
  mfa: boolean;
  passwordLastUsedAt: string | null;
  keys: Array<{
    id: string;
    active: boolean;
    createdAt: string;
    lastUsedAt: string | null;
    lastUsedService: string | null;
  }>;
  groups: string[];
  attachedPolicies: string[];
  inlinePolicies: string[];
  lastActivityAt: string | null;
}

interface RoleDetails {
  trusts: Array<{ kind: string; principal: string; account?: string }>;
  lastUsedAt: string | null;
}

/** The buttons of a principal in a review message; each carries the item's id. */
export const REVIEW_ACTIONS = {
  keep: 'review-keep',
  revoke: 'review-revoke',
  notMine: 'review-not-mine',
} as const;

/** The modals those buttons open. */
export const REVIEW_CALLBACKS = {
  keep: 'review-keep',
  revoke: 'review-revoke',
  notMine: 'review-not-mine',
} as const;

/** The modals' fields: a Keep's optional note, a Revoke's reason (required), a Not mine's owner. */
export const REVIEW_FIELDS = { note: 'note', reason: REMEDIATION_FIELDS.reason, owner: 'owner' } as const;
const REVIEW_NOTE_MAX = 1000;

/** Principals shown in one message (two blocks each, within Slack's 50): the rest follow as these are decided. */
const REVIEW_ITEMS_SHOWN = 20;

/** A principal's actions block id: `review:<item id>` (handlers read the item again, and check again). */
export const reviewBlockId = (itemId: number) => `review:${itemId}`;

const DAY = 86_400_000;
const age = (from: Date | string, now: Date) => {
  const days = Math.max(0, Math.floor((now.getTime() - new Date(from).getTime()) / DAY));
  return `${days} day${days === 1 ? '' : 's'}`;
};
const used = (at: Date | string | null, now: Date) => (at ? `${age(at, now)} ago` : 'never');

/** What a reviewer decides on, in one or two lines. */
function principalText(item: ReviewItemView, now: Date): string {
  if (item.kind === 'role') {
    const role = item.details as unknown as RoleDetails;
    const trusted = role.trusts.map((t) =>
      t.kind === 'external-account'
        ? `account ${t.account ?? t.principal}`
        : t.kind === 'federated'
          ? `federated ${t.principal}`
          : t.kind === 'wildcard'
            ? 'anyone (*)'
            : t.principal,
    );
    return clip(
      `*Role* \`${escapeMrkdwn(item.name)}\` · trusted by ${escapeMrkdwn([...new Set(trusted)].join(', '))} · last used ${used(role.lastUsedAt, now)}`,
      1500,
    );
  }
  const user = item.details as unknown as UserDetails;
  const keys = user.keys.map(
    (k) =>
      `\`${k.id}\` ${k.active ? 'active' : 'inactive'}, ${age(k.createdAt, now)} old, used ${used(k.lastUsedAt, now)}${k.lastUsedService ? ` (${k.lastUsedService})` : ''}`,
  );
  const policies = [...user.attachedPolicies, ...user.inlinePolicies.map((p) => `${p} (inline)`)];
  return clip(
    [
      `*User* \`${escapeMrkdwn(item.name)}\` · last active ${used(user.lastActivityAt, now)}`,
      `Console: ${user.console ? `yes (${user.mfa ? 'MFA' : '*no MFA*'}), used ${used(user.passwordLastUsedAt, now)}` : 'no'} · Keys: ${keys.length ? keys.join('; ') : 'none'}`,
      `Groups: ${escapeMrkdwn(user.groups.join(', ') || 'none')} · Policies: ${escapeMrkdwn(policies.join(', ') || 'none')}`,
    ].join('\n'),
    1500,
  );
}

/** A principal to decide on: what it holds, then Keep…, Revoke… and Not mine… (two blocks). */
export function reviewItemBlocks(item: ReviewItemView, now: Date, prefix = ''): Block[] {
  const value = String(item.id);
  return [
    section(`${prefix}${principalText(item, now)}`),
    actions(reviewBlockId(item.id), [
      button('Keep…', REVIEW_ACTIONS.keep, { value, style: 'primary' }),
      button('Revoke…', REVIEW_ACTIONS.revoke, { value, style: 'danger' }),
      button('Not mine…', REVIEW_ACTIONS.notMine, { value }),
    ]),
  ];
}

/**
 * One account's message to one reviewer: its pending principals (the first REVIEW_ITEMS_SHOWN), each
 * with Keep…, Revoke… and Not mine…; how many are decided; and, once none waits, a closing line.
 */
export function reviewMessage(input: {
  reviewId: number;
  account: { id: string; name: string };
  dueAt: Date;
  pending: ReviewItemView[];
  decided: number;
  now: Date;
}): { text: string; blocks: Block[] } {
  const { reviewId, account, pending, decided, now } = input;
  const who = `${escapeMrkdwn(account.name)} \`${account.id}\``;
  const text = pending.length
    ? `Access review #${reviewId}: ${pending.length} principals of ${account.name} wait for your decision`
    : `Access review #${reviewId}: every principal of ${account.name} is decided`;
  const blocks: Block[] = [header(clip(`Access review #${reviewId} · ${account.name}`, 150))];
  if (pending.length === 0) {
    blocks.push(section(`:white_check_mark: Every principal of ${who} is decided (${decided}). Thank you.`));
    return { text, blocks };
  }
  blocks.push(
    section(
      `Who holds access to ${who}? Keep each principal, revoke it (a remediation request, approved as usual), or hand it to its owner. Due ${slackDate(input.dueAt, '{date_short_pretty}')}.`,
    ),
  );
  for (const item of pending.slice(0, REVIEW_ITEMS_SHOWN)) blocks.push(...reviewItemBlocks(item, now));
  const more = pending.length - REVIEW_ITEMS_SHOWN;
  blocks.push(
    context(
      `${decided} decided · ${pending.length} to decide${more > 0 ? ` (${more} more appear as these are decided)` : ''}`,
    ),
  );
  return { text, blocks };
}

const modal = (
  callbackId: string,
  title: string,
  submit: string,
  metadata: string,
  blocks: Block[],
): ModalView => ({
  type: 'modal',
  callback_id: callbackId,
  private_metadata: metadata,
  title: plainText(title),
  submit: plainText(submit),
  close: plainText('Cancel'),
  blocks,
});

const textInput = (blockId: string, label: string, optional: boolean, placeholder: string): Block => ({
  type: 'input',
  block_id: blockId,
  optional,
  label: plainText(label),
  element: {
    type: 'plain_text_input',
    action_id: 'value',
    multiline: true,
    max_length: REVIEW_NOTE_MAX,
    placeholder: plainText(placeholder),
  },
});

/** Keep: an optional note saying why the access is still needed. */
export function keepModal(item: ReviewItemView, metadata: string, now: Date): ModalView {
  return modal(REVIEW_CALLBACKS.keep, 'Keep access', 'Keep', metadata, [
    section(principalText(item, now)),
    textInput(REVIEW_FIELDS.note, 'Why is it still needed? (optional)', true, 'Deploys production, on call…'),
  ]);
}

/** Revoke: a reason (required); what will be taken away is listed. */
export function revokeModal(item: ReviewItemView, metadata: string, now: Date): ModalView {
  const what =
    item.kind === 'role'
      ? 'The role becomes an open finding for the account’s owners: its trust policy is theirs to change.'
      : 'A remediation request is made for its console password and each active access key, approved as usual.';
  return modal(REVIEW_CALLBACKS.revoke, 'Revoke access', 'Revoke', metadata, [
    section(principalText(item, now)),
    context(what),
    textInput(REVIEW_FIELDS.reason, 'Why revoke it?', false, 'Left the team, unused since…'),
  ]);
}

/** Not mine: who owns this principal (they decide instead), and an optional note. */
export function notMineModal(item: ReviewItemView, metadata: string, now: Date): ModalView {
  return modal(REVIEW_CALLBACKS.notMine, 'Not mine', 'Hand over', metadata, [
    section(principalText(item, now)),
    {
      type: 'input',
      block_id: REVIEW_FIELDS.owner,
      label: plainText('Who owns it?'),
      element: { type: 'users_select', action_id: 'value' },
    },
    textInput(REVIEW_FIELDS.note, 'Note for them (optional)', true, 'Their team’s CI user…'),
  ]);
}
