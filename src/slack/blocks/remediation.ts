import type { Button, ConfirmationDialog, InputBlock, ModalView, PlainTextOption } from '@slack/types';
import { BLOCK_KIT, VIEW } from '../limits.js';
import {
  actions,
  actorText,
  type Block,
  button,
  clip,
  context,
  escapeMrkdwn,
  header,
  linesWithin,
  plainText,
  section,
  slackDate,
} from './text.js';

/** The action ids of a remediation request's buttons, and of the modal's playbook choice. */
export const REMEDIATION_ACTIONS = {
  approve: 'remediation-approve',
  reject: 'remediation-reject',
  rollback: 'remediation-rollback',
  choosePlaybook: 'remediation-playbook',
} as const;

export const REMEDIATION_CALLBACKS = {
  request: 'request-remediation',
  reject: 'reject-remediation',
  rollback: 'rollback-remediation',
} as const;

/** The modals' input blocks. */
export const REMEDIATION_FIELDS = { playbook: 'playbook', reason: 'reason' } as const;

/** A request's actions block id: `remediation:<id>` (handlers read the request again, and check again). */
export const requestBlockId = (id: number) => `remediation:${id}`;
export function parseRequestBlockId(blockId: string): number | undefined {
  const m = /^remediation:(\d{1,9})$/.exec(blockId);
  return m ? Number(m[1]) : undefined;
}

/** A call as approvers read it: `iam:UpdateAccessKey` in an account, with its exact parameters. */
export interface PlanLine {
  service: string;
  operation: string;
  account: string;
  region: string;
  params: Record<string, unknown>;
}

export function planText(plan: PlanLine[]): string {
  if (plan.length === 0) return '_No call._';
  const lines = plan.map(
    (c, i) =>
      `${i + 1}. \`${c.service}:${c.operation}\` in \`${c.account}\` (${c.region})\n\`\`\`${JSON.stringify(c.params)}\`\`\``,
  );
  return linesWithin(lines, BLOCK_KIT.sectionText - 200, (n) => `…and ${n} more calls`);
}

export interface PlaybookChoice {
  id: string;
  title: string;
  description: string;
  reversible: boolean;
}

const option = (p: PlaybookChoice): PlainTextOption => ({ text: plainText(clip(p.title, 75)), value: p.id });

/**
 * The Request remediation modal: choose a playbook, read its plan (the exact calls), give a reason.
 * While the plan is being read from AWS it says so; a playbook that cannot apply now says why.
 */
export function requestModal(input: {
  finding: { title: string; severity: string; accountId: string };
  playbooks: PlaybookChoice[];
  selected: string;
  plan: { calls: PlanLine[]; approvals: number } | { error: string } | 'loading';
  mode: 'dry-run' | 'execute';
  metadata: string;
}): ModalView {
  const chosen = input.playbooks.find((p) => p.id === input.selected) ?? input.playbooks[0]!;
  const { plan } = input;
  const planBlocks: Block[] =
    plan === 'loading'
      ? [section(':hourglass_flowing_sand: Reading the account to write the exact plan…')]
      : 'error' in plan
        ? [
            section(
              `:no_entry: This playbook cannot fix the finding now: ${escapeMrkdwn(clip(plan.error, 1000))}`,
            ),
          ]
        : [
            section(
              `*The plan*: exactly these calls, in this order, with the remediation role\n${planText(plan.calls)}`,
            ),
            context(
              `Needs ${plan.approvals === 1 ? 'one approval' : `${plan.approvals} approvals from different people`}, never the requester’s.` +
                (input.mode === 'dry-run'
                  ? ' Warden is in *dry-run* mode: approval records the plan and calls nothing.'
                  : ''),
            ),
          ];
  return {
    type: 'modal',
    callback_id: REMEDIATION_CALLBACKS.request,
    private_metadata: input.metadata,
    title: plainText('Request remediation'),
    // Slack refuses a modal with input blocks and no submit, so every version has one: a submission
    // reads the plan again, and one that cannot be made is refused then, with the reason.
    submit: plainText('Request'),
    close: plainText('Cancel'),
    blocks: [
      section(
        `*${escapeMrkdwn(clip(input.finding.title, 300))}*\n${input.finding.severity} · account \`${input.finding.accountId}\``,
      ),
      {
        type: 'input',
        block_id: REMEDIATION_FIELDS.playbook,
        dispatch_action: true,
        label: plainText('Playbook'),
        element: {
          type: 'static_select',
          action_id: REMEDIATION_ACTIONS.choosePlaybook,
          options: input.playbooks.slice(0, BLOCK_KIT.staticSelectOptions).map(option),
          initial_option: option(chosen),
        },
      },
      context(
        `${escapeMrkdwn(chosen.description)} ${chosen.reversible ? ':leftwards_arrow_with_hook: Can be rolled back.' : ':warning: *Cannot be undone.*'}`,
      ),
      ...planBlocks,
      reasonInput('Why should this be done?'),
    ],
  };
}

function reasonInput(label: string): InputBlock {
  return {
    type: 'input',
    block_id: REMEDIATION_FIELDS.reason,
    label: plainText(label),
    element: { type: 'plain_text_input', action_id: 'value', multiline: true, max_length: 1000 },
  };
}

/** The modal that asks why, before a rejection or a rollback request. */
export function reasonModal(input: {
  callbackId: string;
  title: string;
  submit: string;
  label: string;
  about: string;
  metadata: string;
}): ModalView {
  return {
    type: 'modal',
    callback_id: input.callbackId,
    private_metadata: input.metadata,
    title: plainText(clip(input.title, VIEW.title)),
    submit: plainText(input.submit),
    close: plainText('Cancel'),
    blocks: [section(input.about), reasonInput(input.label)],
  };
}

/** What approving does, fixed when the request was made. */
const MODE_LINE: Record<RequestCard['mode'], string> = {
  'dry-run': ' *Dry run*: approving records the plan and calls nothing.',
  execute: ' Approving makes these calls.',
};

/** A remediation request as every message about it shows it. */
export interface RequestCard {
  id: number;
  playbook: { title: string; reversible: boolean };
  finding: { title: string; severity: string; accountId: string; accountName: string | null };
  status: string;
  mode: 'dry-run' | 'execute';
  reason: string;
  requestedBy: string;
  requestedAt: Date;
  expiresAt: Date;
  requiredApprovals: number;
  plan: PlanLine[];
  decisions: Array<{ by: string; decision: string; reason: string | null; at: Date }>;
  error: string | null;
  verification: { ok: boolean; detail: string } | null;
  rollbackOf: number | null;
  /** Whether Roll back is offered: a verified change of a reversible playbook, not yet rolled back. */
  canRollBack: boolean;
}

const STATUS: Record<string, string> = {
  pending: ':hourglass_flowing_sand: Waiting for approval',
  executing: ':gear: Executing',
  succeeded: ':white_check_mark: Done and verified',
  unverified: ':warning: Done, but the read-back disagrees',
  failed: ':x: Failed',
  'dry-run': ':memo: Dry run: recorded what would be called, called nothing',
  rejected: ':no_entry_sign: Rejected',
  expired: ':clock3: Expired without enough approvals',
  'needs-attention': ':rotating_light: Needs attention: left executing by a crash, never re-run',
};

/** The status line, and what happened: approvals, rejection, error, verification. */
function outcomeLines(r: RequestCard): string[] {
  const approvals = r.decisions.filter((d) => d.decision === 'approve');
  const rejection = r.decisions.find((d) => d.decision === 'reject');
  return [
    `*${STATUS[r.status] ?? r.status}*${r.status === 'pending' ? ` (${approvals.length} of ${r.requiredApprovals} approvals, expires ${slackDate(r.expiresAt)})` : ''}`,
    ...approvals.map((a) => `Approved by ${actorText(a.by)} ${slackDate(a.at)}`),
    ...(rejection
      ? [
          `Rejected by ${actorText(rejection.by)} ${slackDate(rejection.at)}: _${escapeMrkdwn(clip(rejection.reason ?? '', 500))}_`,
        ]
      : []),
    ...(r.verification ? [`Verification: ${escapeMrkdwn(clip(r.verification.detail, 500))}`] : []),
    ...(r.error ? [`Error: ${escapeMrkdwn(clip(r.error, 1000))}`] : []),
  ];
}

/** Approve (asking to confirm when the change cannot be undone) and Reject. */
function decisionButtons(title: string, undoable: boolean): Button[] {
  const confirm: ConfirmationDialog = {
    title: plainText('This cannot be undone'),
    text: plainText(clip(`Approve ${title}? It cannot be rolled back.`, BLOCK_KIT.confirmText)),
    confirm: plainText('Approve'),
    deny: plainText('Cancel'),
  };
  return [
    button('Approve', REMEDIATION_ACTIONS.approve, { style: 'primary', ...(undoable ? {} : { confirm }) }),
    button('Reject…', REMEDIATION_ACTIONS.reject, { style: 'danger' }),
  ];
}

/** One request: what, on which finding, why, the plan, where it stands; Approve / Reject while pending, Roll back after. */
export function requestCard(r: RequestCard): Block[] {
  const what = r.rollbackOf ? `Roll back request #${r.rollbackOf}: ${r.playbook.title}` : r.playbook.title;
  const account = r.finding.accountName
    ? `${escapeMrkdwn(r.finding.accountName)} \`${r.finding.accountId}\``
    : `\`${r.finding.accountId}\``;
  const elements =
    r.status === 'pending'
      ? decisionButtons(r.playbook.title, r.playbook.reversible || r.rollbackOf !== null)
      : r.canRollBack
        ? [button('Roll back…', REMEDIATION_ACTIONS.rollback)]
        : [];
  return [
    header(`Remediation #${r.id}: ${what}`),
    section(
      `*${escapeMrkdwn(clip(r.finding.title, 300))}* (${r.finding.severity}) in ${account}\n` +
        `Requested by ${actorText(r.requestedBy)} ${slackDate(r.requestedAt)}: _${escapeMrkdwn(clip(r.reason, 800))}_\n` +
        `${r.playbook.reversible ? 'Can be rolled back.' : ':warning: *Cannot be undone.*'}${MODE_LINE[r.mode]}`,
    ),
    section(`*Plan*\n${planText(r.plan)}`),
    section(outcomeLines(r).join('\n')),
    ...(elements.length ? [actions(requestBlockId(r.id), elements)] : []),
  ];
}

/** A request waiting for someone's approval, as the App Home tab lists it. */
export interface ApprovalItem {
  id: number;
  playbookTitle: string;
  reversible: boolean;
  findingTitle: string;
  severity: string;
  accountId: string;
  accountName: string | null;
  requestedBy: string;
  expiresAt: Date;
  approvals: number;
  requiredApprovals: number;
}

/** One request in "Waiting for my approval": a section and its buttons. */
export function approvalItemBlocks(r: ApprovalItem): Block[] {
  return [
    section(
      `*#${r.id} ${escapeMrkdwn(r.playbookTitle)}*${r.reversible ? '' : ' :warning: cannot be undone'} on _${escapeMrkdwn(clip(r.findingTitle, 200))}_ (${r.severity}) in ${escapeMrkdwn(r.accountName ?? r.accountId)} \`${r.accountId}\`\n` +
        `Requested by ${actorText(r.requestedBy)} · ${r.approvals} of ${r.requiredApprovals} approvals · expires ${slackDate(r.expiresAt)}`,
    ),
    actions(requestBlockId(r.id), decisionButtons(r.playbookTitle, r.reversible)),
  ];
}
