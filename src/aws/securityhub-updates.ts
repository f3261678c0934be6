import { BatchUpdateFindingsCommand, BatchUpdateFindingsV2Command } from '@aws-sdk/client-securityhub';
import type { SecurityHubCalls } from './clients.js';
import { OCSF_STATUS_ID } from './ocsf-status.js';
import { PAGE_LIMITS } from './quotas.js';

export type WorkflowStatus = 'NEW' | 'NOTIFIED' | 'RESOLVED' | 'SUPPRESSED';

export interface FindingIdentifier {
  Id: string;
  ProductArn: string;
}

export interface WorkflowUpdate {
  status: WorkflowStatus;
  /** Replaces the finding's note; cut to Security Hub's 512 characters. */
  note?: { text: string; updatedBy: string };
}

export interface UpdateOutcome {
  processed: FindingIdentifier[];
  /** Findings Security Hub did not update, with its error code (FindingNotFound, ConcurrentUpdateError, …). */
  unprocessed: Array<FindingIdentifier & { code: string; message: string }>;
}

/**
 * The account and region whose Security Hub may update a finding: its own, or in aggregator mode
 * the delegated administrator's aggregation region (an update there reaches every linked region).
 */
export function securityHubUpdater(
  finding: { accountId: string; region: string },
  hub: { mode: 'per-account' } | { mode: 'aggregator'; adminAccountId: string; aggregationRegion: string },
): { account: string; region: string } {
  return hub.mode === 'aggregator'
    ? { account: hub.adminAccountId, region: hub.aggregationRegion }
    : { account: finding.accountId, region: finding.region };
}

/** Cuts a note to what Security Hub accepts (Note.Text is 1–512 characters). */
export function noteText(text: string): string {
  const max = PAGE_LIMITS.securityHubNoteText;
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * Sets Workflow.Status (and a note) on findings with BatchUpdateFindings, at most 100 a call. The
 * caller's credentials must be those of the findings' account, or of the Security Hub administrator.
 * A call that fails throws; findings Security Hub refused one by one come back as `unprocessed`.
 */
export async function updateWorkflow(
  client: SecurityHubCalls,
  findings: FindingIdentifier[],
  update: WorkflowUpdate,
): Promise<UpdateOutcome> {
  const out: UpdateOutcome = { processed: [], unprocessed: [] };
  for (let i = 0; i < findings.length; i += PAGE_LIMITS.securityHubBatchUpdate) {
    const batch = findings.slice(i, i + PAGE_LIMITS.securityHubBatchUpdate);
    const result = await client.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: batch,
        Workflow: { Status: update.status },
        ...(update.note
          ? { Note: { Text: noteText(update.note.text), UpdatedBy: update.note.updatedBy } }
          : {}),
      }),
    );
    for (const p of result.ProcessedFindings ?? [])
      out.processed.push({ Id: p.Id!, ProductArn: p.ProductArn! });
    for (const u of result.UnprocessedFindings ?? []) {
      out.unprocessed.push({
        Id: u.FindingIdentifier?.Id ?? '',
        ProductArn: u.FindingIdentifier?.ProductArn ?? '',
        code: u.ErrorCode ?? 'Unknown',
        message: u.ErrorMessage ?? '',
      });
    }
  }
  return out;
}

/**
 * The same update through the new Security Hub (BatchUpdateFindingsV2, findings named by
 * `metadata.uid` in `Id`): `StatusId` for the workflow and `Comment` for the note (1–512 characters),
 * at most 100 a call. Unprocessed findings come back as they went in.
 */
export async function updateWorkflowV2(
  client: SecurityHubCalls,
  findings: FindingIdentifier[],
  update: WorkflowUpdate,
): Promise<UpdateOutcome> {
  const out: UpdateOutcome = { processed: [], unprocessed: [] };
  const byUid = new Map(findings.map((f) => [f.Id, f]));
  for (let i = 0; i < findings.length; i += PAGE_LIMITS.securityHubBatchUpdate) {
    const batch = findings.slice(i, i + PAGE_LIMITS.securityHubBatchUpdate);
    const result = await client.send(
      new BatchUpdateFindingsV2Command({
        MetadataUids: batch.map((f) => f.Id),
        StatusId: OCSF_STATUS_ID[update.status],
        ...(update.note ? { Comment: noteText(update.note.text) } : {}),
      }),
    );
    for (const p of result.ProcessedFindings ?? []) {
      const f = p.MetadataUid ? byUid.get(p.MetadataUid) : undefined;
      if (f) out.processed.push(f);
    }
    for (const u of result.UnprocessedFindings ?? []) {
      const f = u.MetadataUid ? byUid.get(u.MetadataUid) : undefined;
      out.unprocessed.push({
        Id: u.MetadataUid ?? '',
        ProductArn: f?.ProductArn ?? '',
        code: u.ErrorCode ?? 'Unknown',
        message: u.ErrorMessage ?? '',
      });
    }
  }
  return out;
}
