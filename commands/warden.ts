import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { hasCode } from '../src/errors.js';
import { deliverReview } from '../src/slack/access-reviews.js';
import type { HandlerDeps } from '../src/slack/app.js';
import { scanDoneBlocks, scanFailedBlocks, scanProgressBlocks } from '../src/slack/blocks/scan.js';
import { clip, context, escapeMrkdwn, fitList, header, section } from '../src/slack/blocks/text.js';
import { parseScope, type ReviewScope, scopeText, startReview } from '../src/workflow/access-reviews.js';
import { recordDenial } from '../src/workflow/denials.js';
import { membership } from '../src/workflow/membership.js';
import { isAdmin } from '../src/workflow/policy.js';
import { runScan, untilStopped } from '../src/workflow/scan.js';

/** The subcommands of /warden that work today, each with an example. */
export const WARDEN_SUBCOMMANDS = [
  { usage: '/warden help', what: 'lists every Warden command with an example' },
  { usage: '/warden whoami', what: 'shows your role and the accounts you own' },
  {
    usage: '/warden scan 111122223333',
    what: 'admins: scans the organization (or the accounts named) and reports here',
  },
  {
    usage: '/warden review start Root/Prod 2027-01-15',
    what: 'admins: starts an access review (organization, an OU or accounts; a due date); owners decide on each principal',
  },
  {
    usage: '/findings critical prod-web open',
    what: 'one page of findings by severity, account, state, assignee (mine) or source',
  },
  {
    usage: '/posture',
    what: 'the organization: open findings by severity, change in 7 days, worst accounts, gaps',
  },
  { usage: '/posture prod-web', what: 'one account (id, name or alias): owners, OU, its worst findings' },
  {
    usage: '/compliance cis-3.0 prod-web',
    what: 'each standard’s score (organization, an OU or an account); with a standard or framework, its failing requirements or controls',
  },
  {
    usage: '/compliance report cis-aws-3.0 90d',
    what: 'the evidence pack (HTML, PDF, CSV, manifest) in your direct messages; admins, managers and auditors',
  },
  {
    usage: '/remediate #42',
    what: 'asks for a remediation of a finding: pick a playbook, read its exact plan, give a reason',
  },
];

function helpBlocks() {
  return [
    header('Warden commands'),
    section(WARDEN_SUBCOMMANDS.map((c) => `• \`${c.usage}\`: ${c.what}`).join('\n')),
    context('Warden governs the findings of your AWS Organization.'),
  ];
}

const ROLE_TEXT = {
  admin: 'an *admin*: you may triage and approve for every account',
  owner: 'an *owner*: you may triage the findings of the accounts below',
  viewer: 'a *viewer*: you may read posture and findings, and change none',
};

/** `/warden help | whoami`; anything else gets the usage, ephemerally, and nothing happens. */
export function wardenCommand(deps: HandlerDeps) {
  return async ({ command, ack, respond }: AllMiddlewareArgs & SlackCommandMiddlewareArgs) => {
    const words = command.text.trim().split(/\s+/).filter(Boolean);
    const [sub = 'help', ...rest] = words;
    if (sub === 'help' && rest.length === 0) {
      await ack({ response_type: 'ephemeral', text: 'Warden commands', blocks: helpBlocks() });
      return;
    }
    if (sub === 'whoami' && rest.length === 0) {
      // Acknowledge at once; the answer needs Slack's directory and the database.
      await ack();
      const who = await deps.directory.identify(command.user_id);
      const mine = await membership(deps.db, who, deps.config.policy);
      const blocks = [
        section(
          `<@${command.user_id}>${who.email ? ` (${escapeMrkdwn(who.email)})` : ''}, you are ${ROLE_TEXT[mine.role]}.`,
        ),
        ...fitList(
          mine.accounts,
          (a) => [
            section(`*${escapeMrkdwn(a.name)}* \`${a.id}\`${a.ouPath ? ` · ${escapeMrkdwn(a.ouPath)}` : ''}`),
          ],
          { reserved: 1, more: (n) => `…and ${n} more accounts` },
        ),
      ];
      await respond({ response_type: 'ephemeral', text: `You are ${mine.role}`, blocks });
      return;
    }
    if (sub === 'scan' && rest.every((a) => /^\d{12}$/.test(a))) {
      await ack();
      await scanFromSlack(deps, command.user_id, command.channel_id, rest, respond);
      return;
    }
    if (sub === 'review' && rest[0] === 'start') {
      const request = reviewRequest(rest.slice(1), deps.config, deps.now());
      if (request) {
        await ack();
        await reviewFromSlack(deps, command.user_id, request, respond);
        return;
      }
    }
    const asked = clip(command.text.trim(), 200);
    await ack({
      response_type: 'ephemeral',
      text: `Unknown or malformed command: /warden ${asked}`,
      blocks: [section(`I don't know \`/warden ${escapeMrkdwn(asked)}\`.`), ...helpBlocks()],
    });
  };
}

const DAY = 86_400_000;

/** Whether this person is an admin; anyone else is told `refusal`, and the refusal is audited. */
async function adminOnly(
  deps: HandlerDeps,
  userId: string,
  attempted: string,
  respond: SlackCommandMiddlewareArgs['respond'],
  refusal: { text: string; blocks?: ReturnType<typeof section>[] },
): Promise<boolean> {
  if (isAdmin(await deps.directory.identify(userId), deps.config.policy)) return true;
  await recordDenial(deps.db, { actor: userId, attempted, subject: 'organization', reason: 'not an admin' });
  await respond({ response_type: 'ephemeral', ...refusal });
  return false;
}

/** `/warden review start [organization | OU | account …] [YYYY-MM-DD]`: its scope and due date, or undefined. */
function reviewRequest(words: string[], config: HandlerDeps['config'], now: Date) {
  const last = words.at(-1) ?? '';
  const dated = /^\d{4}-\d{2}-\d{2}$/.test(last);
  const scope = parseScope(dated ? words.slice(0, -1) : words);
  const dueAt = dated
    ? new Date(Date.parse(`${last}T23:59:59.999Z`))
    : new Date(now.getTime() + config.policy.accessReviews.dueDays * DAY);
  if (!scope || Number.isNaN(dueAt.getTime())) return undefined;
  return { scope, dueAt };
}

/**
 * `/warden review start …`, admins only: starts the campaign (its accounts read with the audit role),
 * sends each account's owners their message, and tells the admin what was started and what could not
 * be read. Anyone else is told why not, and the refusal is audited.
 */
async function reviewFromSlack(
  deps: HandlerDeps,
  userId: string,
  request: { scope: ReviewScope; dueAt: Date },
  respond: SlackCommandMiddlewareArgs['respond'],
): Promise<void> {
  const refusal = { text: 'Only Warden admins can start an access review.' };
  if (!(await adminOnly(deps, userId, 'access review start', respond, refusal))) return;
  try {
    const { review, accounts } = await startReview(deps, { ...request, by: userId, now: deps.now() });
    const told = await deliverReview(deps, review.id);
    const principals = accounts.reduce((n, a) => n + a.principals, 0);
    const failed = accounts.filter((a) => a.error).map((a) => `${a.account}: ${a.error}`);
    await respond({
      response_type: 'ephemeral',
      text: clip(
        `Access review #${review.id} of ${scopeText(request.scope)} started: ${principals} principals in ${accounts.length} accounts, due ${request.dueAt.toISOString().slice(0, 10)}; ${told.posted} reviewers' messages sent.${failed.length ? ` Not read: ${failed.join('; ')}` : ''}${told.unreachable.length ? ` Not in Slack: ${[...new Set(told.unreachable)].join(', ')}` : ''}`,
        3000,
      ),
    });
  } catch (err) {
    if (!hasCode(err, 'review-refused')) throw err;
    await respond({ response_type: 'ephemeral', text: `No access review was started: ${err.message}.` });
  }
}

/** Progress edits of the scan message: at most one every 2 seconds (chat.update is rate-limited). */
const PROGRESS_EVERY_MS = 2000;

/**
 * `/warden scan [account …]`, admins only: posts one message in the channel and keeps it updated with
 * the scan's progress until it ends. Anyone else is told why not, and the refusal is audited.
 */
async function scanFromSlack(
  deps: HandlerDeps,
  userId: string,
  channel: string,
  accounts: string[],
  respond: SlackCommandMiddlewareArgs['respond'],
): Promise<void> {
  const refusal = {
    text: 'Only Warden admins can start a scan.',
    blocks: [
      section(
        'Only Warden admins can start a scan. Scans also run on their own schedule; `/posture` shows the latest.',
      ),
    ],
  };
  if (!(await adminOnly(deps, userId, 'scan', respond, refusal))) return;
  const client = deps.web;
  const posted = await client.chat.postMessage({
    channel,
    text: 'Scan starting',
    blocks: scanProgressBlocks(
      { accountsDone: 0, accountsTotal: 0, findings: 0, failures: 0, throttles: 0 },
      userId,
    ),
  });
  const ts = posted.ts!;
  const at = posted.channel ?? channel;
  let last = 0;
  // Progress edits run one after another; one that fails is kept (never an unhandled rejection) and
  // the last edit, awaited, throws it so the admin is told.
  let edits = Promise.resolve();
  let failed: unknown;
  const edit = (text: string, blocks: ReturnType<typeof scanProgressBlocks>) => {
    edits = edits
      .then(() => client.chat.update({ channel: at, ts, text, blocks }))
      .then(
        () => {},
        (err: unknown) => {
          failed ??= err;
        },
      );
    return edits.then(() => {
      if (failed) throw failed;
    });
  };
  try {
    const result = await deps.inFlight.track(
      runScan(
        {
          db: deps.db,
          config: deps.config,
          log: deps.log,
          clients: deps.clients,
          ...(deps.scanJobs ? { scanJobs: deps.scanJobs } : {}),
        },
        {
          trigger: 'slack',
          requestedBy: userId,
          ...untilStopped(deps),
          ...(accounts.length ? { accounts } : {}),
          onProgress: (p) => {
            if (Date.now() - last < PROGRESS_EVERY_MS) return;
            last = Date.now();
            void edit('Scan running', scanProgressBlocks(p, userId)).catch(() => {});
          },
        },
      ),
    );
    await edit(`Scan ${result.scanId} completed`, scanDoneBlocks(result, userId));
  } catch (err) {
    if (hasCode(err, 'scan-left')) {
      await edit('The scan goes on', scanFailedBlocks(`${err.message}: this replica is stopping`, userId));
      return;
    }
    if (hasCode(err, 'scan-cancelled')) {
      await edit('The scan was cancelled', scanFailedBlocks(`${err.message}: Warden is stopping`, userId));
      return;
    }
    if (!hasCode(err, 'scan-cannot-run', 'scan-already-running')) throw err;
    await edit('The scan could not run', scanFailedBlocks(err.message, userId));
  }
}
