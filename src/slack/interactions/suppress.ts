import type {
  AllMiddlewareArgs,
  BlockAction,
  SlackActionMiddlewareArgs,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';
import { findingSummaries } from '../../posture/findings-list.js';
import { suppress, validateSuppression } from '../../workflow/triage.js';
import type { HandlerDeps } from '../app.js';
import { parseFindingBlockId } from '../blocks/finding.js';
import { SUPPRESS_CALLBACK, SUPPRESS_FIELDS, suppressModal } from '../blocks/suppress.js';
import { respondVia } from '../respond.js';
import { actOnFinding, type ClickOrigin, findingFor, nameOf } from './finding-action.js';
import { refuseForm } from './modal-form.js';

/** What the modal carries from the click to its submission: the finding's block id and the message's response_url. */
interface SuppressMetadata {
  b: string;
  r?: string;
}

/** Suppress…: checks permission, then opens the modal that asks for a reason and an end date. */
export function openSuppressModal(deps: HandlerDeps) {
  return async ({
    ack,
    action,
    body,
    respond,
  }: AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction>) => {
    await ack();
    const origin: ClickOrigin = { userId: body.user.id, respond: body.response_url ? respond : undefined };
    const target = parseFindingBlockId(action.block_id);
    if (!target || !(await findingFor(deps, origin, target?.findingId, 'suppress'))) return;
    const [finding] = await findingSummaries(deps.db, [target.findingId]);
    const metadata: SuppressMetadata = {
      b: action.block_id,
      ...(body.response_url ? { r: body.response_url } : {}),
    };
    await deps.web.views.open({
      trigger_id: body.trigger_id,
      view: suppressModal({
        finding: finding!,
        maxDays: deps.config.policy.suppression.maxDays,
        metadata: JSON.stringify(metadata),
        now: deps.now(),
      }),
    });
  };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The metadata as openSuppressModal wrote it, or undefined for anything else. */
function readSuppressMetadata(raw: string): SuppressMetadata | undefined {
  try {
    const m = JSON.parse(raw) as SuppressMetadata;
    return typeof m.b === 'string' && (m.r === undefined || typeof m.r === 'string') ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The modal's submission: a missing reason or an end date past the policy's maximum is shown on the
 * field, and nothing happens; a valid one suppresses the finding (permission checked again), writes
 * SUPPRESSED and the note "by <user> until <date>: <reason>" to Security Hub, and redraws the message.
 */
export function submitSuppression(deps: HandlerDeps) {
  return async ({ ack, body, view }: AllMiddlewareArgs & SlackViewMiddlewareArgs<ViewSubmitAction>) => {
    const values = view.state.values;
    const reason = values[SUPPRESS_FIELDS.reason]?.value?.value ?? '';
    const date = values[SUPPRESS_FIELDS.expiry]?.value?.selected_date ?? '';
    const expiresAt = new Date(DATE.test(date) ? `${date}T00:00:00Z` : Number.NaN);
    const now = deps.now();
    const maxDays = deps.config.policy.suppression.maxDays;
    const problems = validateSuppression({ reason, expiresAt, maxDays, now });
    if (problems.length) {
      // One problem at most per field: the reason is missing; the date is past, or too far away.
      const errors = Object.fromEntries(
        problems.map((p) => [
          p.startsWith('a reason') ? SUPPRESS_FIELDS.reason : SUPPRESS_FIELDS.expiry,
          `${p.charAt(0).toUpperCase()}${p.slice(1)}.`,
        ]),
      );
      await ack({ response_action: 'errors', errors });
      return;
    }
    await ack();
    const metadata = readSuppressMetadata(view.private_metadata);
    if (!metadata) return refuseForm(deps, { userId: body.user.id, respond: undefined }, SUPPRESS_CALLBACK);
    await actOnFinding(
      deps,
      { userId: body.user.id, respond: respondVia(metadata.r, deps.slackConfig) },
      { blockId: metadata.b, attempted: 'suppress' },
      async ({ finding, who }) => ({
        ...(await suppress(deps.db, {
          findingId: finding.id,
          actor: who.userId,
          reason,
          expiresAt,
          maxDays,
          now,
        })),
        writeBack: {
          status: 'SUPPRESSED',
          note: { text: `by ${nameOf(who)} until ${date}: ${reason.trim()}`, updatedBy: 'Warden' },
        },
      }),
    );
  };
}
