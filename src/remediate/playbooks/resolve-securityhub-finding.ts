import { GetFindingsCommand } from '@aws-sdk/client-securityhub';
import { z } from 'zod';
import { noteText, securityHubUpdater } from '../../aws/securityhub-updates.js';
import type { PlannedCall, Playbook } from '../playbook.js';

const input = z.object({
  /** The account and region whose Security Hub updates it (its own, or the administrator's). */
  account: z.string().regex(/^\d{12}$/),
  region: z.string().min(1),
  findingId: z.string().min(1),
  productArn: z.string().min(1),
  note: z.string().min(1),
  /** The workflow status before, which a rollback restores. */
  previousWorkflow: z.enum(['NEW', 'NOTIFIED', 'SUPPRESSED', 'RESOLVED']),
});
type Input = z.infer<typeof input>;

const update = (i: Input, status: string, note: string): PlannedCall => ({
  service: 'securityhub',
  operation: 'BatchUpdateFindings',
  account: i.account,
  region: i.region,
  params: {
    FindingIdentifiers: [{ Id: i.findingId, ProductArn: i.productArn }],
    Workflow: { Status: status },
    Note: { Text: noteText(note), UpdatedBy: 'Warden' },
  },
});

async function workflowOf(i: Input, read: Parameters<Playbook['verify']>[1]) {
  const out = await (await read.securityHub(i.account, i.region)).send(
    new GetFindingsCommand({
      Filters: { Id: [{ Value: i.findingId, Comparison: 'EQUALS' }] },
      MaxResults: 1,
    }),
  );
  return out.Findings?.[0]?.Workflow?.Status ?? 'not found';
}

/**
 * Resolves a Security Hub finding with a note: the administrative answer when the risk is handled
 * elsewhere. A rollback sets its workflow back to what it was.
 */
export const resolveSecurityHubFinding: Playbook<Input> = {
  id: 'resolve-securityhub-finding',
  title: 'Resolve the finding in Security Hub',
  description:
    'Sets Workflow to RESOLVED with a note giving the reason; Security Hub stops reporting it as open.',
  fixes: { checks: [], controls: ['*'] },
  permissions: ['securityhub:BatchUpdateFindings'],
  reversible: true,
  input,
  appliesTo: (f) => f.source === 'securityhub',
  async prepare({ finding, config, requester, reason }) {
    const where = securityHubUpdater(finding, config.aws.securityHub);
    const previous = finding.awsWorkflowStatus;
    return {
      ...where,
      findingId: finding.externalId,
      productArn: finding.productArn,
      note: `Resolved in Warden by ${requester}: ${reason}`,
      previousWorkflow: previous === 'NOTIFIED' || previous === 'SUPPRESSED' ? previous : 'NEW',
    };
  },
  plan: (i) => [update(i, 'RESOLVED', i.note)],
  async verify(i, read) {
    const status = await workflowOf(i, read);
    return { ok: status === 'RESOLVED', detail: `the finding's workflow is ${status}` };
  },
  rollback: {
    plan: (i) => [
      update(
        i,
        i.previousWorkflow,
        `Resolution rolled back in Warden; workflow back to ${i.previousWorkflow}`,
      ),
    ],
    async verify(i, _saved, read) {
      const status = await workflowOf(i, read);
      return { ok: status === i.previousWorkflow, detail: `the finding's workflow is ${status}` };
    },
  },
};
