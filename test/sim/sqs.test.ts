import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, expect, test } from 'vitest';
import { EventsQueue } from '../../src/aws/events-queue.js';
import { SimError, failure as wireFailure } from '../../src/sim/protocol.js';
import { generateScenario } from '../../src/sim/scenarios.js';
import { type Simulator, startSimulator } from '../../src/sim/server.js';

// The simulated SQS refuses what SQS refuses, with its error codes, and delivers as SQS does: a
// received message hidden for the visibility timeout, then again with a new receipt handle.

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function queue(visibilityTimeoutSeconds = 30) {
  const scenario = generateScenario({ accounts: 1, regions: ['us-east-1'], failedPerAccountRegion: 0 });
  scenario.events = { visibilityTimeoutSeconds, maxReceiveCount: 2 };
  sim = await startSimulator(scenario);
  const client = new SQSClient({ ...sim.target, maxAttempts: 1 });
  return { client, QueueUrl: sim.queueUrl! };
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: { name: string; Code?: string; message: string }) => ({
      name: e.name,
      code: e.Code,
      message: e.message,
    }),
  );

test('bad parameters and unknown queues are refused with SQS’s errors', async () => {
  const { client, QueueUrl } = await queue();
  expect(
    await failure(client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 11 }))),
  ).toEqual({
    name: 'InvalidParameterValue',
    code: 'InvalidParameterValue',
    message:
      'Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.',
  });
  expect(
    await failure(client.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 21 }))),
  ).toMatchObject({
    name: 'InvalidParameterValue',
  });
  expect(
    await failure(client.send(new ReceiveMessageCommand({ QueueUrl: QueueUrl.replace(/[^/]+$/, 'nope') }))),
  ).toEqual({
    name: 'QueueDoesNotExist',
    code: 'AWS.SimpleQueueService.NonExistentQueue',
    message: 'The specified queue does not exist.',
  });
  const entries = (n: number, id = (i: number) => `e${i}`) =>
    Array.from({ length: n }, (_, i) => ({ Id: id(i), ReceiptHandle: 'x' }));
  expect(
    await failure(client.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: entries(11) }))),
  ).toMatchObject({
    name: 'TooManyEntriesInBatchRequest',
  });
  expect(
    await failure(
      client.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: entries(2, () => 'same') })),
    ),
  ).toMatchObject({ name: 'BatchEntryIdsNotDistinct' });
  expect(await failure(client.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: [] })))).toMatchObject({
    name: 'EmptyBatchRequest',
  });
  // A bad receipt handle fails its own entry, not the call.
  const out = await client.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: entries(1) }));
  expect(out.Failed).toEqual([
    expect.objectContaining({ Id: 'e0', SenderFault: true, Code: 'ReceiptHandleIsInvalid' }),
  ]);
});

test('a received message comes back after its visibility timeout with a new receipt; only the latest receipt deletes it; past maxReceiveCount it moves to the dead-letter queue', async () => {
  const { client, QueueUrl } = await queue(1);
  // EventBridge sends it (Warden's caller may not: its policy only reads the queue).
  expect(
    await failure(client.send(new SendMessageCommand({ QueueUrl, MessageBody: '{"hello":"world"}' }))),
  ).toMatchObject({ name: 'AccessDenied' });
  sim!.world.queues.get('warden-findings-events')!.send('{"hello":"world"}');
  const receive = () =>
    client.send(
      new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
    );
  const first = (await receive()).Messages![0]!;
  expect(first.Attributes?.ApproximateReceiveCount).toBe('1');
  expect((await receive()).Messages ?? []).toEqual([]);
  // Waiting (a long poll) until it is visible again.
  const started = Date.now();
  const second = (
    await client.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5, AttributeNames: ['All'] }))
  ).Messages![0]!;
  expect(Date.now() - started).toBeGreaterThan(500);
  expect(second.MessageId).toBe(first.MessageId);
  expect(second.ReceiptHandle).not.toBe(first.ReceiptHandle);
  // The stale receipt answers success and deletes nothing.
  const stale = await client.send(
    new DeleteMessageBatchCommand({ QueueUrl, Entries: [{ Id: 'a', ReceiptHandle: first.ReceiptHandle! }] }),
  );
  expect(stale.Successful).toHaveLength(1);
  // Warden may not change a message's visibility: its policy allows only receiving and deleting.
  expect(
    await failure(
      client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl,
          ReceiptHandle: second.ReceiptHandle!,
          VisibilityTimeout: 0,
        }),
      ),
    ),
  ).toMatchObject({
    name: 'AccessDenied',
    message: expect.stringContaining('not authorized to perform: sqs:changemessagevisibility'),
  });
  // Whoever may (the queue's own model here): visible again at once.
  const events = sim!.world.queues.get('warden-findings-events')!;
  events.changeVisibility(second.ReceiptHandle!, 0);
  // Received twice (maxReceiveCount 2): the next receive moves it to the dead-letter queue.
  expect((await receive()).Messages ?? []).toEqual([]);
  expect(sim!.world.queues.get('warden-findings-events-dlq')!.messages).toHaveLength(1);
  // A message no longer in flight cannot have its visibility changed.
  expect(() => events.changeVisibility(second.ReceiptHandle!, 5)).toThrow(/not in flight/);
});

test('the audit role may not read the queue: only Warden’s caller policy allows it', async () => {
  const { QueueUrl } = await queue();
  const { STSClient, AssumeRoleCommand } = await import('@aws-sdk/client-sts');
  const sts = new STSClient({ ...sim!.target });
  const role = await sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${sim!.world.scenario.managementAccountId}:role/WardenAudit`,
      RoleSessionName: 'audit',
    }),
  );
  const asAudit = new SQSClient({
    ...sim!.target,
    maxAttempts: 1,
    credentials: {
      accessKeyId: role.Credentials!.AccessKeyId!,
      secretAccessKey: role.Credentials!.SecretAccessKey!,
      sessionToken: role.Credentials!.SessionToken!,
    },
  });
  // As AWS answers it over JSON: the SDK names it by the query code, AccessDenied.
  expect(await failure(asAudit.send(new ReceiveMessageCommand({ QueueUrl })))).toEqual({
    name: 'AccessDenied',
    code: 'AccessDenied',
    message:
      'User: arn:aws:sts::100000000000:assumed-role/WardenAudit/audit is not authorized to perform: ' +
      `sqs:receivemessage on resource: ${sim!.world.queues.get('warden-findings-events')!.arn} ` +
      'because no identity-based policy allows the sqs:receivemessage action',
  });
  // Read as Warden reads its events, the refusal names the queue's account, region and the call.
  const reader = new EventsQueue(asAudit, QueueUrl, 'us-east-1');
  await expect(reader.receive(0, 30)).rejects.toThrow(
    /^sqs:ReceiveMessage in account 100000000000 \(us-east-1\): AccessDenied: User: arn:aws:sts::100000000000:assumed-role\/WardenAudit\/audit is not authorized to perform: sqs:receivemessage on resource: arn:aws:sqs:us-east-1:100000000000:warden-findings-events because/,
  );
});

test('a denial is on the wire as AWS answers it: 403, the query code in its header, the text under "Message"', () => {
  const denied = wireFailure(
    'json',
    'sqs',
    new SimError('AccessDeniedException', 'User: x is not authorized to perform: sqs:sendmessage', 403),
  );
  expect(denied.status).toBe(403);
  expect(denied.headers['x-amzn-query-error']).toBe('AccessDenied;Sender');
  expect(JSON.parse(String(denied.body))).toEqual({
    __type: 'com.amazon.coral.service#AccessDeniedException',
    Message: 'User: x is not authorized to perform: sqs:sendmessage',
  });
});
