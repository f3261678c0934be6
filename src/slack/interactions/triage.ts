import type { AllMiddlewareArgs, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { WorkflowStatus } from '../../aws/securityhub-updates.js';
import { acknowledge, reopen, type TriageResult, unsuppress } from '../../workflow/triage.js';
import type { HandlerDeps } from '../app.js';
import { FINDING_ACTIONS } from '../blocks/finding.js';
import { actOnFinding, nameOf } from './finding-action.js';

/** The one-click transitions, and the Security Hub workflow each writes back. */
const TRANSITIONS: Record<
  string,
  {
    attempted: string;
    run: (db: HandlerDeps['db'], findingId: number, actor: string) => Promise<TriageResult>;
    workflow: WorkflowStatus;
    note: string;
  }
> = {
  [FINDING_ACTIONS.acknowledge]: {
    attempted: 'acknowledge',
    run: acknowledge,
    workflow: 'NOTIFIED',
    note: 'acknowledged',
  },
  [FINDING_ACTIONS.unsuppress]: {
    attempted: 'unsuppress',
    run: unsuppress,
    workflow: 'NEW',
    note: 'unsuppressed',
  },
  [FINDING_ACTIONS.reopen]: { attempted: 'reopen', run: reopen, workflow: 'NEW', note: 'reopened' },
};

/** Acknowledge, Unsuppress and Reopen: one click, one state change (a repeated click changes nothing). */
export function triageButton(deps: HandlerDeps) {
  return async ({
    ack,
    action,
    body,
    respond,
  }: AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction>) => {
    await ack();
    const transition = TRANSITIONS[action.action_id]!;
    await actOnFinding(
      deps,
      { userId: body.user.id, respond: body.response_url ? respond : undefined },
      { blockId: action.block_id, attempted: transition.attempted },
      async ({ finding, who }) => ({
        ...(await transition.run(deps.db, finding.id, who.userId)),
        writeBack: {
          status: transition.workflow,
          note: { text: `${transition.note} in Warden by ${nameOf(who)}`, updatedBy: 'Warden' },
        },
      }),
    );
  };
}

export const TRIAGE_BUTTONS = Object.keys(TRANSITIONS);
