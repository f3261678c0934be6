import type { ModalView } from '@slack/types';
import type { FindingSummary } from '../../posture/findings-list.js';
import { type Block, clip, escapeMrkdwn, plainText, section } from './text.js';

export const SUPPRESS_CALLBACK = 'suppress-finding';
/** The modal's input blocks, named so a submission's errors land on the right field. */
export const SUPPRESS_FIELDS = { reason: 'reason', expiry: 'expiry' } as const;
export const SUPPRESS_REASON_MAX = 1000;

const DAY = 86_400_000;
const isoDay = (at: Date) => at.toISOString().slice(0, 10);

/**
 * The Suppress modal: a reason (required) and the date the suppression ends (required, at most
 * `maxDays` away; the finding reopens at 00:00 UTC that day). `metadata` travels back on submission.
 */
export function suppressModal(input: {
  finding: FindingSummary;
  maxDays: number;
  metadata: string;
  now: Date;
}): ModalView {
  const { finding, maxDays, now } = input;
  const blocks: Block[] = [
    section(
      `*${escapeMrkdwn(clip(finding.title, 300))}*\n${finding.severity} · ${escapeMrkdwn(finding.accountName ?? finding.accountId)} \`${finding.accountId}\` · ${finding.region}`,
    ),
    {
      type: 'input',
      block_id: SUPPRESS_FIELDS.reason,
      label: plainText('Why is this acceptable for now?'),
      element: {
        type: 'plain_text_input',
        action_id: 'value',
        multiline: true,
        max_length: SUPPRESS_REASON_MAX,
        placeholder: plainText('Accepted risk, compensating control, fix scheduled…'),
      },
    },
    {
      type: 'input',
      block_id: SUPPRESS_FIELDS.expiry,
      label: plainText('Suppressed until'),
      hint: plainText(`At most ${maxDays} days from today. The finding reopens at 00:00 UTC on this date.`),
      element: {
        type: 'datepicker',
        action_id: 'value',
        initial_date: isoDay(new Date(now.getTime() + Math.min(30, maxDays) * DAY)),
      },
    },
  ];
  return {
    type: 'modal',
    callback_id: SUPPRESS_CALLBACK,
    private_metadata: input.metadata,
    title: plainText('Suppress finding'),
    submit: plainText('Suppress'),
    close: plainText('Cancel'),
    blocks,
  };
}
