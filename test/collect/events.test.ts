import { expect, test } from 'vitest';
import { readFindingEvent } from '../../src/collect/events.js';

// EventBridge's envelope as Security Hub sends it (user guide, "EventBridge event formats"): one
// finding in detail.findings, ASFF for Security Hub CSPM, OCSF for the new Security Hub.

const envelope = (detailType: string, finding: unknown) =>
  JSON.stringify({
    version: '0',
    id: 'CWE-event-id',
    'detail-type': detailType,
    source: 'aws.securityhub',
    account: '111122223333',
    time: '2026-12-02T06:00:00Z',
    region: 'us-west-2',
    resources: ['x'],
    detail: { findings: [finding] },
  });

test('a CSPM event carries an ASFF finding; a V2 event an OCSF one, an exposure finding kept as such', () => {
  const cspm = readFindingEvent(
    envelope('Security Hub Findings - Imported', {
      SchemaVersion: '2018-10-08',
      Id: 'arn:aws:securityhub:us-west-2:111122223333:security-control/IAM.4/finding/1',
      ProductArn: 'arn:aws:securityhub:us-west-2::product/aws/securityhub',
      AwsAccountId: '111122223333',
      Region: 'us-west-2',
      Title: 'IAM root user access key should not exist',
      Severity: { Label: 'CRITICAL' },
      Compliance: { Status: 'FAILED', SecurityControlId: 'IAM.4' },
      Resources: [{ Type: 'AwsAccount', Id: 'AWS::::Account:111122223333' }],
      UpdatedAt: '2026-12-02T05:59:00Z',
      RecordState: 'ACTIVE',
      Workflow: { Status: 'NEW' },
    }),
  );
  expect(cspm).toMatchObject({
    kind: 'cspm',
    id: 'CWE-event-id',
    findings: [{ controlId: 'IAM.4', severity: 'critical', failing: true }],
  });
  const v2 = readFindingEvent(
    envelope('Findings Imported V2', {
      class_uid: 2004,
      finding_info: { analytic: { name: 'Exposure' }, uid: 'e', desc: 'Public and vulnerable' },
      metadata: { uid: 'm-e', product: { uid: 'arn:aws:securityhub:us-west-2::productv2/aws/securityhub' } },
      cloud: { account: { uid: '111122223333' }, region: 'us-west-2' },
      severity_id: 4,
      status_id: 1,
    }),
  );
  expect(v2).toMatchObject({ kind: 'v2', findings: [{ generatorId: 'exposure', severity: 'high' }] });
});

test('what is not a Security Hub findings event says what it is', () => {
  expect(readFindingEvent('{')).toEqual({ kind: 'other', problem: 'the message is not JSON' });
  expect(readFindingEvent('[]')).toEqual({ kind: 'other', problem: 'the message is not a JSON object' });
  expect(
    readFindingEvent(JSON.stringify({ source: 'aws.guardduty', 'detail-type': 'GuardDuty Finding' })),
  ).toEqual({
    kind: 'other',
    problem: 'not a Security Hub findings event (aws.guardduty: GuardDuty Finding)',
  });
  expect(readFindingEvent(envelope('Security Hub Findings - Imported', { Id: 'x' }))).toEqual({
    kind: 'other',
    problem: 'Security Hub Findings - Imported with a finding that lacks its identifiers',
  });
});
