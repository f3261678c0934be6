import type { SlackMessageRef } from '../db/schema.js';
import type { PlannedCall } from '../remediate/playbook.js';
import { PLAYBOOKS } from '../remediate/registry.js';
import { channelFor, ownersOf } from '../workflow/policy.js';
import {
  accountOfRequest,
  type RequestDetails,
  recordRequestMessages,
  requestDetails,
} from '../workflow/remediation-queue.js';
import type { HandlerDeps } from './app.js';
import { type RequestCard, requestCard } from './blocks/remediation.js';
import type { Block } from './blocks/text.js';

/**
 * The Slack messages a remediation request lives in: a DM to each person who may approve it (the
 * account's owners, the approvers and the admins, never the requester), and a message in the
 * account's channel (policy `routing`) whose thread receives its outcome. Each is updated in place
 * whenever the request changes; the requester also gets the outcome as a DM.
 */

/** What keeping a request's messages needs: the database, the policy, Slack and its directory. */
export type MessageDeps = Pick<HandlerDeps, 'db' | 'config' | 'web' | 'directory'>;

const ROLLBACK_CLOSED = ['rejected', 'expired', 'failed'];

function cardOf(d: RequestDetails): RequestCard {
  const { request: r } = d;
  const playbook = PLAYBOOKS.get(r.playbookId);
  const verification =
    ((r.result ?? {}) as { verification?: { ok: boolean; detail: string } }).verification ?? null;
  return {
    id: r.id,
    playbook: { title: playbook?.title ?? r.playbookId, reversible: playbook?.reversible ?? false },
    finding: d.finding,
    status: r.status,
    mode: r.mode,
    reason: r.reason,
    requestedBy: r.requestedBy,
    requestedAt: r.requestedAt,
    expiresAt: r.expiresAt,
    requiredApprovals: r.requiredApprovals,
    plan: r.plan as PlannedCall[],
    decisions: d.decisions,
    error: r.error,
    verification,
    rollbackOf: r.rollbackOf,
    canRollBack:
      Boolean(playbook?.rollback) &&
      r.rollbackOf === null &&
      r.mode === 'execute' &&
      (r.status === 'succeeded' || r.status === 'unverified') &&
      (!d.rollback || ROLLBACK_CLOSED.includes(d.rollback.status)),
  };
}

/** A request's message: text for notifications, blocks for the card. */
export async function requestMessage(
  deps: Pick<HandlerDeps, 'db'>,
  requestId: number,
): Promise<{ text: string; blocks: Block[]; details: RequestDetails } | undefined> {
  const details = await requestDetails(deps.db, requestId);
  if (!details) return undefined;
  const card = cardOf(details);
  return {
    text: `Remediation #${card.id} (${card.playbook.title}): ${card.status}`,
    blocks: requestCard(card),
    details,
  };
}

/** The Slack users who may approve requests in this account (owners, approvers, admins), by user id. */
async function approversOf(
  deps: MessageDeps,
  account: { id: string; tags: Record<string, string> },
): Promise<string[]> {
  const { policy } = deps.config;
  const principals = [...ownersOf(account, policy), ...policy.approvers, ...policy.admins];
  const ids = await Promise.all(principals.map((p) => deps.directory.userIdFor(p)));
  return [...new Set(ids.filter((id): id is string => Boolean(id)))];
}

/** Tells the people who may approve a new request, and its account's channel; keeps where it posted. */
export async function announceRequest(deps: MessageDeps, requestId: number): Promise<void> {
  const message = await requestMessage(deps, requestId);
  if (!message) return;
  const { request } = message.details;
  const refs: SlackMessageRef[] = [];
  const account = await accountOfRequest(deps.db, request.accountId);
  const recipients = (await approversOf(deps, { id: request.accountId, tags: account?.tags ?? {} })).filter(
    (id) => id !== request.requestedBy,
  );
  for (const user of recipients) {
    const posted = await deps.web.chat.postMessage({
      channel: user,
      text: message.text,
      blocks: message.blocks,
    });
    if (posted.ts && posted.channel) refs.push({ channel: posted.channel, ts: posted.ts, kind: 'approval' });
  }
  // The account's channel (policy routing) holds the request's thread; none when no channel is routed.
  const channel = channelFor(
    { ouId: account?.ouId ?? null, ouPath: account?.ouPath ?? null },
    deps.config.policy,
  );
  if (channel) {
    const posted = await deps.web.chat.postMessage({ channel, text: message.text, blocks: message.blocks });
    if (posted.ts && posted.channel) refs.push({ channel: posted.channel, ts: posted.ts, kind: 'thread' });
  }
  await recordRequestMessages(deps.db, requestId, refs);
}

/** Draws every message of a request again with its current state. */
export async function refreshRequest(deps: MessageDeps, requestId: number): Promise<void> {
  const message = await requestMessage(deps, requestId);
  if (!message) return;
  for (const ref of message.details.request.messages) {
    await deps.web.chat.update({
      channel: ref.channel,
      ts: ref.ts,
      text: message.text,
      blocks: message.blocks,
    });
  }
}

/** After a request ends (done, failed, rejected…): its messages updated, the requester told, the thread told. */
export async function announceOutcome(deps: MessageDeps, requestId: number): Promise<void> {
  await refreshRequest(deps, requestId);
  const message = await requestMessage(deps, requestId);
  if (!message) return;
  const { request } = message.details;
  await deps.web.chat.postMessage({
    channel: request.requestedBy,
    text: message.text,
    blocks: message.blocks,
  });
  for (const ref of request.messages.filter((m) => m.kind === 'thread')) {
    await deps.web.chat.postMessage({ channel: ref.channel, thread_ts: ref.ts, text: message.text });
  }
}
