/**
 * OCSF's finding `status_id` for each Security Hub workflow word Warden keeps and writes
 * (`aws_workflow_status`): 1 New, 2 In Progress, 3 Suppressed, 4 Resolved (OCSF 1.6; 5 Archived and
 * 6 Deleted are never written).
 */
export const OCSF_STATUS_ID = { NEW: 1, NOTIFIED: 2, SUPPRESSED: 3, RESOLVED: 4 } as const;

/** The workflow word of an OCSF `status_id`, archived and deleted included. */
export const WORKFLOW_OF_OCSF_STATUS: Record<number, string> = {
  ...Object.fromEntries(Object.entries(OCSF_STATUS_ID).map(([word, id]) => [id, word])),
  5: 'ARCHIVED',
  6: 'DELETED',
};
