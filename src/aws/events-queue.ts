import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { explainAwsError } from './errors.js';
import { queueAt } from './queue-url.js';

/** SQS's limits a consumer lives by (FACTS.md §8; the SQS API reference). */
export const SQS_LIMITS = {
  /** ReceiveMessage's MaxNumberOfMessages and DeleteMessageBatch's entries. */
  batch: 10,
  /** ReceiveMessage's longest long poll. */
  maxWaitSeconds: 20,
} as const;

export interface QueueMessage {
  id: string;
  receipt: string;
  body: string;
  /** How many times SQS has handed this message out, this time included. */
  receiveCount: number;
}

/**
 * One SQS queue, read as Warden reads its findings events: long polls of up to ten messages, deleted
 * in batches once what they carried is stored. Every AWS error is explained with the queue's
 * account, region and the call.
 */
export class EventsQueue {
  private readonly at: { account: string; region: string; name: string };

  constructor(
    private readonly client: Pick<SQSClient, 'send'>,
    readonly url: string,
    region: string,
  ) {
    this.at = queueAt(url, region);
  }

  private where(call: string) {
    return { account: this.at.account, region: this.at.region, call: `sqs:${call}` };
  }

  private async call<T>(call: string, run: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw explainAwsError(err, this.where(call), signal);
    }
  }

  /** Waits up to `waitSeconds` for messages; an aborted wait returns none. */
  async receive(
    waitSeconds: number,
    visibilitySeconds: number,
    signal?: AbortSignal,
  ): Promise<QueueMessage[]> {
    const out = await this.call(
      'ReceiveMessage',
      () =>
        this.client.send(
          new ReceiveMessageCommand({
            QueueUrl: this.url,
            MaxNumberOfMessages: SQS_LIMITS.batch,
            WaitTimeSeconds: Math.min(waitSeconds, SQS_LIMITS.maxWaitSeconds),
            VisibilityTimeout: visibilitySeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
          signal ? { abortSignal: signal } : {},
        ),
      signal,
    ).catch((err: unknown) => {
      if (signal?.aborted) return { Messages: [] };
      throw err;
    });
    return (out.Messages ?? []).flatMap((m) =>
      m.MessageId && m.ReceiptHandle
        ? [
            {
              id: m.MessageId,
              receipt: m.ReceiptHandle,
              body: m.Body ?? '',
              receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
            },
          ]
        : [],
    );
  }

  /** Deletes messages (ten a call); returns the ids SQS would not delete, with its reason. */
  async delete(messages: QueueMessage[]): Promise<Array<{ id: string; reason: string }>> {
    const failed: Array<{ id: string; reason: string }> = [];
    for (let i = 0; i < messages.length; i += SQS_LIMITS.batch) {
      const batch = messages.slice(i, i + SQS_LIMITS.batch);
      const out = await this.call('DeleteMessageBatch', () =>
        this.client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.url,
            Entries: batch.map((m, n) => ({ Id: `m${n}`, ReceiptHandle: m.receipt })),
          }),
        ),
      );
      for (const f of out.Failed ?? [])
        failed.push({ id: batch[Number(f.Id?.slice(1))]?.id ?? '?', reason: `${f.Code}: ${f.Message}` });
    }
    return failed;
  }
}
