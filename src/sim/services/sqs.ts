import { createHash, randomUUID } from 'node:crypto';
import { SimError } from '../protocol.js';
import type { CallContext, Handler } from './context.js';

/**
 * Amazon SQS, standard queues, as far as Warden uses them (FACTS.md §8; the SQS API reference):
 * JSON protocol (`AmazonSQS.<Op>`), at-least-once delivery, a received message invisible for the
 * visibility timeout and then delivered again with a new receipt handle, long polling up to 20 s,
 * batches of at most 10 entries answered per entry, and a redrive policy that moves a message to its
 * dead-letter queue once it has been received `maxReceiveCount` times. Validation and error codes are
 * the service's; a delete with a receipt handle that is no longer the latest succeeds without
 * deleting, as SQS documents.
 */

const MAX_BATCH = 10;
const MAX_WAIT_SECONDS = 20;
const MAX_VISIBILITY_SECONDS = 43_200;
const MAX_BODY_BYTES = 262_144;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

interface Message {
  id: string;
  body: string;
  md5: string;
  sentAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  visibleAt: number;
  /** The latest receipt handle: only it deletes the message. */
  receipt?: string;
}

export interface QueueSpec {
  name: string;
  account: string;
  region: string;
  visibilityTimeoutSeconds: number;
  /** A dead-letter queue and the receives after which a message moves there. */
  redrive?: { deadLetterQueue: string; maxReceiveCount: number };
}

export class SimQueue {
  readonly messages: Message[] = [];
  /** Every receipt handle ever issued, to the message it was issued for. */
  private readonly receipts = new Map<string, Message>();
  private readonly waiters = new Set<() => void>();
  /** Set when the simulator stops: a long poll in progress answers at once. */
  closed = false;

  constructor(
    readonly spec: QueueSpec,
    private readonly now: () => number = Date.now,
  ) {}

  get arn(): string {
    return `arn:aws:sqs:${this.spec.region}:${this.spec.account}:${this.spec.name}`;
  }

  send(body: string): Message {
    if (body.length === 0 || Buffer.byteLength(body) > MAX_BODY_BYTES)
      throw new SimError(
        'InvalidParameterValue',
        `One or more parameters are invalid. Reason: Message must be shorter than ${MAX_BODY_BYTES} bytes.`,
      );
    const message: Message = {
      id: randomUUID(),
      body,
      md5: createHash('md5').update(body, 'utf8').digest('hex'),
      sentAt: this.now(),
      receiveCount: 0,
      visibleAt: this.now(),
    };
    this.messages.push(message);
    this.wake();
    return message;
  }

  /** Messages visible now, marked in flight; those received too often move to the dead-letter queue. */
  take(max: number, visibilityMs: number, deadLetter: SimQueue | undefined): Message[] {
    const t = this.now();
    const out: Message[] = [];
    for (let i = 0; i < this.messages.length && out.length < max; i++) {
      const m = this.messages[i]!;
      if (m.visibleAt > t) continue;
      if (deadLetter && this.spec.redrive && m.receiveCount >= this.spec.redrive.maxReceiveCount) {
        this.messages.splice(i--, 1);
        const { receipt: _receipt, firstReceivedAt: _first, ...moved } = m;
        deadLetter.messages.push({ ...moved, receiveCount: 0, visibleAt: t });
        continue;
      }
      m.receiveCount += 1;
      m.firstReceivedAt ??= t;
      m.visibleAt = t + visibilityMs;
      m.receipt = `${this.spec.name}:${m.id}:${randomUUID()}`;
      this.receipts.set(m.receipt, m);
      out.push(m);
    }
    return out;
  }

  /** When the next in-flight message becomes visible again (for a long poll), or undefined. */
  nextVisibleAt(): number | undefined {
    let next: number | undefined;
    for (const m of this.messages) if (next === undefined || m.visibleAt < next) next = m.visibleAt;
    return next;
  }

  /** The message a receipt handle names: ReceiptHandleIsInvalid if it never named one here. */
  private byReceipt(receipt: unknown): Message {
    const m = typeof receipt === 'string' ? this.receipts.get(receipt) : undefined;
    if (!m)
      throw new SimError(
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${String(receipt)}" is not a valid receipt handle.`,
      );
    return m;
  }

  delete(receipt: unknown): void {
    const m = this.byReceipt(receipt);
    // An older receipt handle than the latest: SQS answers success and keeps the message.
    if (m.receipt !== receipt) return;
    const at = this.messages.indexOf(m);
    if (at >= 0) this.messages.splice(at, 1);
  }

  changeVisibility(receipt: unknown, seconds: number): void {
    const m = this.byReceipt(receipt);
    if (m.receipt !== receipt || !this.messages.includes(m) || m.visibleAt <= this.now())
      throw new SimError('MessageNotInflight', 'The message referred to is not in flight.', 400);
    m.visibleAt = this.now() + seconds * 1000;
    if (seconds === 0) this.wake();
  }

  /** Resolves when a message may have become available, or after `ms`. */
  waitFor(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.waiters.add(done);
    });
  }

  wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Ends every long poll now (the simulator is stopping). */
  close(): void {
    this.closed = true;
    this.wake();
  }

  approximate(): { visible: number; inFlight: number } {
    const t = this.now();
    const visible = this.messages.filter((m) => m.visibleAt <= t).length;
    return { visible, inFlight: this.messages.length - visible };
  }
}

/** The queues of the simulated organization, by name. */
export type SimQueues = Map<string, SimQueue>;

/** The queue a QueueUrl names (`<endpoint>/<account>/<name>`), as the caller's account and region see it. */
function queueOf(ctx: Pick<CallContext, 'world' | 'params' | 'region'>): SimQueue {
  const url = ctx.params.QueueUrl;
  if (typeof url !== 'string' || url === '')
    throw new SimError('MissingParameter', 'The request must contain the parameter QueueUrl.');
  const [, account, name] = /\/(\d{12})\/([^/?#]+)\/?$/.exec(url) ?? [];
  const queue = name ? ctx.world.queues.get(name) : undefined;
  if (!queue || queue.spec.account !== account || queue.spec.region !== ctx.region)
    throw new SimError('QueueDoesNotExist', 'The specified queue does not exist.');
  return queue;
}

/** The IAM resource a call acts on: the queue's ARN (a queue that does not exist is refused first, as SQS does). */
export function queueArnOf(ctx: Pick<CallContext, 'world' | 'params' | 'region'>): string {
  return queueOf(ctx).arn;
}

function integer(params: Record<string, unknown>, name: string, min: number, max: number, reason: string) {
  const v = params[name];
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max)
    throw new SimError(
      'InvalidParameterValue',
      `Value ${String(v)} for parameter ${name} is invalid. Reason: ${reason}`,
    );
  return v as number;
}

/** A batch's entries, refused as SQS refuses an empty, oversized or ambiguous batch. */
function entriesOf(params: Record<string, unknown>): Array<Record<string, unknown> & { Id: string }> {
  const entries = params.Entries;
  if (!Array.isArray(entries) || entries.length === 0)
    throw new SimError(
      'EmptyBatchRequest',
      'There should be at least one SendMessageBatchRequestEntry in the request.',
    );
  if (entries.length > MAX_BATCH)
    throw new SimError(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are ${MAX_BATCH}. You have sent ${entries.length}.`,
    );
  const ids = new Set<string>();
  for (const e of entries as Array<{ Id?: unknown }>) {
    if (typeof e.Id !== 'string' || !BATCH_ENTRY_ID.test(e.Id))
      throw new SimError(
        'InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
    if (ids.has(e.Id)) throw new SimError('BatchEntryIdsNotDistinct', `Id ${e.Id} repeated.`);
    ids.add(e.Id);
  }
  return entries as Array<Record<string, unknown> & { Id: string }>;
}

/** Answers each entry, a SimError becoming that entry's failure (SenderFault), as SQS answers batches. */
function perEntry<T extends { Id: string }>(entries: T[], act: (e: T) => Record<string, unknown>) {
  const Successful: Array<Record<string, unknown>> = [];
  const Failed: Array<Record<string, unknown>> = [];
  for (const e of entries) {
    try {
      Successful.push({ Id: e.Id, ...act(e) });
    } catch (err) {
      if (!(err instanceof SimError)) throw err;
      Failed.push({ Id: e.Id, SenderFault: true, Code: err.code, Message: err.message });
    }
  }
  return { Successful, Failed };
}

const sent = (m: Message) => ({ MessageId: m.id, MD5OfMessageBody: m.md5 });

export const sqs: Record<string, Handler> = {
  async ReceiveMessage(ctx) {
    const queue = queueOf(ctx);
    const p = ctx.params;
    const max =
      integer(p, 'MaxNumberOfMessages', 1, MAX_BATCH, 'Must be between 1 and 10, if provided.') ?? 1;
    const wait =
      integer(p, 'WaitTimeSeconds', 0, MAX_WAIT_SECONDS, 'Must be >= 0 and <= 20, if provided.') ?? 0;
    const visibility =
      integer(p, 'VisibilityTimeout', 0, MAX_VISIBILITY_SECONDS, 'Must be >= 0 and <= 43200, if provided.') ??
      queue.spec.visibilityTimeoutSeconds;
    const deadLetter = queue.spec.redrive
      ? ctx.world.queues.get(queue.spec.redrive.deadLetterQueue)
      : undefined;
    const deadline = Date.now() + wait * 1000;
    let got = queue.take(max, visibility * 1000, deadLetter);
    while (got.length === 0 && Date.now() < deadline && !queue.closed) {
      const next = queue.nextVisibleAt();
      const until = Math.min(deadline, next !== undefined && next > Date.now() ? next : deadline);
      await queue.waitFor(until - Date.now());
      got = queue.take(max, visibility * 1000, deadLetter);
    }
    const wanted = new Set([
      ...((p.MessageSystemAttributeNames as string[] | undefined) ?? []),
      ...((p.AttributeNames as string[] | undefined) ?? []),
    ]);
    const all = wanted.has('All');
    return {
      Messages: got.map((m) => {
        const attributes: Record<string, string> = {
          ApproximateReceiveCount: String(m.receiveCount),
          SentTimestamp: String(m.sentAt),
          ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt),
        };
        const chosen = Object.fromEntries(Object.entries(attributes).filter(([k]) => all || wanted.has(k)));
        return {
          MessageId: m.id,
          ReceiptHandle: m.receipt,
          MD5OfBody: m.md5,
          Body: m.body,
          ...(Object.keys(chosen).length ? { Attributes: chosen } : {}),
        };
      }),
    };
  },
  DeleteMessage(ctx) {
    queueOf(ctx).delete(ctx.params.ReceiptHandle);
    return {};
  },
  DeleteMessageBatch(ctx) {
    const queue = queueOf(ctx);
    return perEntry(entriesOf(ctx.params), (e) => {
      queue.delete(e.ReceiptHandle);
      return {};
    });
  },
  ChangeMessageVisibility(ctx) {
    const queue = queueOf(ctx);
    const seconds = integer(
      ctx.params,
      'VisibilityTimeout',
      0,
      MAX_VISIBILITY_SECONDS,
      'Must be >= 0 and <= 43200.',
    );
    if (seconds === undefined)
      throw new SimError('MissingParameter', 'The request must contain the parameter VisibilityTimeout.');
    queue.changeVisibility(ctx.params.ReceiptHandle, seconds);
    return {};
  },
  SendMessage(ctx) {
    const body = ctx.params.MessageBody;
    if (typeof body !== 'string')
      throw new SimError('MissingParameter', 'The request must contain the parameter MessageBody.');
    return sent(queueOf(ctx).send(body));
  },
  SendMessageBatch(ctx) {
    const queue = queueOf(ctx);
    return perEntry(entriesOf(ctx.params), (e) => sent(queue.send(String(e.MessageBody ?? ''))));
  },
  GetQueueAttributes(ctx) {
    const queue = queueOf(ctx);
    const { visible, inFlight } = queue.approximate();
    return {
      Attributes: {
        ApproximateNumberOfMessages: String(visible),
        ApproximateNumberOfMessagesNotVisible: String(inFlight),
        VisibilityTimeout: String(queue.spec.visibilityTimeoutSeconds),
        QueueArn: queue.arn,
      },
    };
  },
};
