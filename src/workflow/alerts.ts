import { appendAudit } from '../audit/trail.js';
import { type PostedMessage, recordAlertMessage } from '../db/alerts.js';
import type { Database } from '../db/client.js';

export { type ClaimedAlert, claimDueAlerts, reserveAlertMessageId, skipAlerts } from '../db/alerts.js';

/**
 * Records an alert message that Slack accepted (under the id its buttons carry) and the alerts it
 * carried as posted, with its audit event (who was told what, where), in one transaction.
 */
export function recordAlertPosted(
  db: Database,
  id: number,
  message: PostedMessage,
  alertIds: number[],
): Promise<void> {
  return db.transaction(async (tx) => {
    await recordAlertMessage(tx, id, message, alertIds);
    await appendAudit(tx, {
      actor: 'warden:alerts',
      action: 'alert.posted',
      subject: `alert-message:${id}`,
      details: {
        kind: message.kind,
        channel: message.channel,
        ts: message.ts,
        ...(message.accountId ? { account: message.accountId } : {}),
        findings: message.findingIds,
      },
      at: message.postedAt,
    });
  });
}
