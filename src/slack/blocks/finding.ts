import type { ActionsBlockElement, UsersSelect } from '@slack/types';
import { isCollector } from '../../domain.js';
import type { FindingSummary, IssueSource } from '../../posture/findings-list.js';
import { BLOCK_KIT } from '../limits.js';
import {
  actions,
  actorText,
  type Block,
  button,
  clip,
  escapeMrkdwn,
  plainText,
  section,
  slackDate,
} from './text.js';

/**
 * Where a finding is shown, so that a click can draw the same message again with the finding's new
 * state: a page of `/findings`, an account's `/posture`, a message about this one finding (a DM, a
 * thread), or the App Home tab.
 */
export type FindingView =
  | { kind: 'findings'; query: string; offset: number; from?: string }
  | { kind: 'account'; accountId: string }
  | { kind: 'card' }
  /** An alert message (one account's new findings, or an owner's DM), by its id in alert_messages. */
  | { kind: 'alert'; messageId: number }
  | { kind: 'home' };

/** A finding as a message shows it: with Request remediation… when a playbook can fix it. */
export type ShownFinding = FindingSummary & { remediable?: boolean };

/** The action ids of a finding's buttons; every one is answered in src/slack/interactions. */
export const FINDING_ACTIONS = {
  remediate: 'finding-remediate',
  acknowledge: 'finding-acknowledge',
  suppress: 'finding-suppress',
  unsuppress: 'finding-unsuppress',
  reopen: 'finding-reopen',
  assign: 'finding-assign',
  console: 'finding-console',
} as const;

/** The longest `/findings` query a finding's block id can carry back (block ids hold 255 characters). */
export const FINDINGS_QUERY_MAX = 200;

/**
 * A finding's actions block id: `finding:<id>:` and the view it sits in. It carries ids and the
 * command's own words only; every handler reads the finding again and checks permission again.
 */
export function findingBlockId(findingId: number, view: FindingView): string {
  const where =
    view.kind === 'findings'
      ? `f${view.offset}${view.from ? `@${view.from}` : ''}:${clip(view.query, FINDINGS_QUERY_MAX)}`
      : view.kind === 'account'
        ? `a${view.accountId}`
        : view.kind === 'card'
          ? 'c'
          : view.kind === 'alert'
            ? `l${view.messageId}`
            : 'h';
  return `finding:${findingId}:${where}`.slice(0, BLOCK_KIT.blockId);
}

/** Reads a block id written by findingBlockId; undefined for anything else (a forged or foreign id). */
export function parseFindingBlockId(blockId: string): { findingId: number; view: FindingView } | undefined {
  const m =
    /^finding:(\d{1,9}):(?:f(\d{1,6})(?:@([0-9a-z.]{1,24}))?:(.*)|a(\d{12})|(c)|(h)|l(\d{1,9}))$/s.exec(
      blockId,
    );
  if (!m) return undefined;
  const findingId = Number(m[1]);
  if (m[2] !== undefined)
    return {
      findingId,
      view: { kind: 'findings', offset: Number(m[2]), query: m[4]!, ...(m[3] ? { from: m[3] } : {}) },
    };
  if (m[5]) return { findingId, view: { kind: 'account', accountId: m[5] } };
  if (m[8]) return { findingId, view: { kind: 'alert', messageId: Number(m[8]) } };
  return { findingId, view: { kind: m[6] ? 'card' : 'home' } };
}

const ICON: Record<string, string> = {
  critical: ':red_circle:',
  high: ':large_orange_circle:',
  medium: ':large_yellow_circle:',
  low: ':white_circle:',
  informational: ':white_circle:',
};

/** Who changed the finding's state, when, and (suppressed) until when and why. */
function stateLines(f: FindingSummary): string[] {
  const by = f.statusChangedBy ? ` by ${actorText(f.statusChangedBy)}` : '';
  const when = f.statusChangedAt ? ` ${slackDate(f.statusChangedAt)}` : '';
  const lines: string[] = [];
  if (f.status === 'acknowledged') lines.push(`:eyes: Acknowledged${by}${when}`);
  else if (f.status === 'suppressed' && f.suppression) {
    lines.push(
      `:zipper_mouth_face: Suppressed by ${actorText(f.suppression.createdBy)} until ${slackDate(f.suppression.expiresAt, '{date_short}')}: _${escapeMrkdwn(clip(f.suppression.reason, 500))}_`,
    );
  } else if (f.status === 'resolved') lines.push(`:white_check_mark: Resolved${by}${when}`);
  else if (f.status === 'open' && f.statusChangedBy && !isCollector(f.statusChangedBy))
    lines.push(`Reopened${by}${when}`);
  if (f.assignee) lines.push(`:bust_in_silhouette: Assigned to ${actorText(f.assignee)}`);
  if (f.awsSyncError) {
    lines.push(`:warning: Security Hub was not updated: ${escapeMrkdwn(clip(f.awsSyncError, 600))}`);
  } else if (f.source === 'securityhub' && f.awsWorkflowStatus) {
    lines.push(`Security Hub workflow: ${escapeMrkdwn(f.awsWorkflowStatus)}`);
  }
  return lines;
}

/** The buttons a finding in this state offers (each handler checks the state and permission again). */
function actionsFor(f: ShownFinding): ActionsBlockElement[] {
  const a = FINDING_ACTIONS;
  const triage =
    f.status === 'open'
      ? [button('Acknowledge', a.acknowledge, { style: 'primary' }), button('Suppress…', a.suppress)]
      : f.status === 'acknowledged'
        ? [button('Reopen', a.reopen), button('Suppress…', a.suppress)]
        : f.status === 'suppressed'
          ? [button('Unsuppress', a.unsuppress)]
          : [button('Reopen', a.reopen)];
  const assign: UsersSelect[] =
    f.status === 'resolved'
      ? []
      : [
          {
            type: 'users_select',
            action_id: a.assign,
            placeholder: plainText('Assign to…'),
            ...(f.assignee ? { initial_user: f.assignee } : {}),
          },
        ];
  const remediate = f.remediable ? [button('Request remediation…', a.remediate)] : [];
  return [...triage, ...remediate, ...assign, button('AWS console', a.console, { url: consoleUrl(f) })];
}

/**
 * One finding: title, severity, state, control, account, region and resource; who changed it, when
 * and whether Security Hub agrees; then its actions. Two blocks.
 */
export function findingBlocks(f: ShownFinding, view: FindingView): Block[] {
  const account = f.accountName ? `${escapeMrkdwn(f.accountName)} \`${f.accountId}\`` : `\`${f.accountId}\``;
  const text = [
    `${ICON[f.severity] ?? ''} *${escapeMrkdwn(clip(f.title, 200))}*${f.regression ? ' :repeat: regression' : ''} · #${f.id}`,
    `${f.severity} · *${f.status}* · ${escapeMrkdwn(f.controlId ?? (exposureOf(f) ? 'exposure' : f.source))} · ${account} · ${f.region}`,
    `\`${escapeMrkdwn(clip(f.resourceId, 300))}\``,
    ...exposureLine(f),
    ...sourcesLine(f.otherSources),
    ...stateLines(f),
  ].join('\n');
  return [section(text), actions(findingBlockId(f.id, view), actionsFor(f))];
}

/** An exposure finding's traits (the new Security Hub), as its evidence keeps them. */
function exposureOf(f: ShownFinding): { traits: Record<string, string[]>; contributing: number } | undefined {
  const e = f.evidence.exposure as { traits?: unknown; contributing?: unknown } | undefined;
  return e && typeof e.traits === 'object' && e.traits
    ? { traits: e.traits as Record<string, string[]>, contributing: Number(e.contributing) || 0 }
    : undefined;
}

/** `Exposure: Reachability, Vulnerability (3 contributing findings)`. */
function exposureLine(f: ShownFinding): string[] {
  const e = exposureOf(f);
  if (!e) return [];
  const kinds = Object.keys(e.traits).sort().map(escapeMrkdwn).join(', ') || 'no traits listed';
  const n = e.contributing;
  return [`:dart: _Exposure:_ ${kinds}${n ? ` (${n} contributing finding${n === 1 ? '' : 's'})` : ''}`];
}

/** How many of an issue's other findings a message names; the rest are counted. */
const SOURCES_SHOWN = 6;

/** Where the issue's other findings come from: `Security Hub eu-west-1`, `PCI.IAM.1`, `Warden check …`. */
function sourcesLine(sources: IssueSource[]): string[] {
  if (sources.length === 0) return [];
  const named = sources.slice(0, SOURCES_SHOWN).map((s) => {
    const where = s.source === 'securityhub' ? `Security Hub ${s.region}` : 'Warden';
    const what = s.generatorId?.startsWith('security-control/')
      ? ''
      : ` ${escapeMrkdwn(s.generatorId?.split('/').at(-1) ?? '')}`;
    return `${where}${what} #${s.id}${s.status === 'resolved' ? ' (resolved)' : ''}`;
  });
  const more = sources.length > SOURCES_SHOWN ? ` and ${sources.length - SOURCES_SHOWN} more` : '';
  return [`_Also reported by:_ ${named.join(' · ')}${more}`];
}

const IAM_CONSOLE = 'https://console.aws.amazon.com/iam/home';
/** `Id=\operator\:EQUALS\:` as the Security Hub console's search parameter encodes it. */
const SECURITY_HUB_ID_EQUALS = 'Id%3D%255Coperator%255C%253AEQUALS%255C%253A';

/**
 * The finding in the AWS console: Security Hub's findings page filtered to its Id (the filter
 * twice URL-encoded, as the console writes it), or for Warden's own checks the IAM user, the
 * root user's credentials or the account's password settings.
 */
export function consoleUrl(
  f: Pick<FindingSummary, 'source' | 'region' | 'externalId' | 'resourceId'>,
): string {
  if (f.source === 'securityhub') {
    const id = encodeURIComponent(encodeURIComponent(f.externalId));
    return `https://${f.region}.console.aws.amazon.com/securityhub/home?region=${f.region}#/findings?search=${SECURITY_HUB_ID_EQUALS}${id}`.slice(
      0,
      BLOCK_KIT.buttonUrl,
    );
  }
  const user = /^arn:aws[\w-]*:iam::\d{12}:user\/(?:[^#]*\/)?([^/#]+)/.exec(f.resourceId)?.[1];
  if (user) return `${IAM_CONSOLE}#/users/details/${encodeURIComponent(user)}`;
  if (/:root(#|$)/.test(f.resourceId)) return `${IAM_CONSOLE}#/security_credentials`;
  return `${IAM_CONSOLE}#/account_settings`;
}
