import { describe, expect, test } from 'vitest';
import { externalTrusts, readTrustPolicy } from '../../src/collect/trust-policy.js';

// Who may assume a role, for access reviews: other accounts, identity providers and `*` are outside
// the organization unless a condition keeps them in it; the organization's accounts and AWS services
// are not.

const context = { organizationId: 'o-abc123defg', accountIds: new Set(['111111111111', '222222222222']) };
const policy = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });
const allow = (Principal: unknown, extra: Record<string, unknown> = {}) => ({
  Effect: 'Allow',
  Principal,
  Action: 'sts:AssumeRole',
  ...extra,
});
const kinds = (doc: unknown) =>
  readTrustPolicy(doc as Record<string, unknown>, context).map((t) => [t.kind, t.principal, t.external]);

describe('reading a trust policy', () => {
  test('an account outside the organization is external; one inside is not', () => {
    expect(
      kinds(
        policy(
          allow({ AWS: 'arn:aws:iam::999999999999:root' }),
          allow({ AWS: ['222222222222', 'arn:aws:iam::111111111111:role/Deployer'] }),
        ),
      ),
    ).toEqual([
      ['external-account', 'arn:aws:iam::999999999999:root', true],
      ['org-account', '222222222222', false],
      ['org-account', 'arn:aws:iam::111111111111:role/Deployer', false],
    ]);
  });

  test('a SAML or OIDC provider is federated, and external', () => {
    const trusts = readTrustPolicy(
      policy(
        allow(
          { Federated: 'arn:aws:iam::111111111111:saml-provider/Okta' },
          {
            Action: 'sts:AssumeRoleWithSAML',
            Condition: { StringEquals: { 'SAML:aud': 'https://signin.aws.amazon.com/saml' } },
          },
        ),
        allow(
          { Federated: 'token.actions.githubusercontent.com' },
          {
            Action: 'sts:AssumeRoleWithWebIdentity',
            Condition: { StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/*' } },
          },
        ),
      ),
      context,
    );
    expect(trusts.map((t) => [t.kind, t.actions, t.conditions, t.external])).toEqual([
      ['federated', ['sts:AssumeRoleWithSAML'], ['SAML:aud'], true],
      ['federated', ['sts:AssumeRoleWithWebIdentity'], ['token.actions.githubusercontent.com:sub'], true],
    ]);
  });

  test('`*` is anyone, unless a condition keeps it to the organization', () => {
    expect(kinds(policy(allow('*')))).toEqual([['wildcard', '*', true]]);
    expect(kinds(policy(allow({ AWS: '*' })))).toEqual([['wildcard', '*', true]]);
    expect(
      kinds(
        policy(
          allow({ AWS: '*' }, { Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123defg' } } }),
        ),
      ),
    ).toEqual([['wildcard', '*', false]]);
    // Another organization's id keeps nothing to this one.
    expect(
      kinds(policy(allow('*', { Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-other00000' } } }))),
    ).toEqual([['wildcard', '*', true]]);
    // A Deny of everyone outside the organization does the same for every Allow.
    expect(
      kinds(
        policy(allow({ AWS: '*' }), {
          Effect: 'Deny',
          Principal: '*',
          Action: 'sts:AssumeRole',
          Condition: { StringNotEquals: { 'aws:PrincipalOrgID': 'o-abc123defg' } },
        }),
      ),
    ).toEqual([['wildcard', '*', false]]);
    expect(
      kinds(policy({ Effect: 'Allow', NotPrincipal: { AWS: '111111111111' }, Action: 'sts:AssumeRole' })),
    ).toEqual([['wildcard', 'NotPrincipal {"AWS":"111111111111"}', true]]);
  });

  test('conditions are listed; an external id does not make another account internal', () => {
    const [trust] = readTrustPolicy(
      policy(
        allow(
          { AWS: 'arn:aws:iam::999999999999:role/Vendor' },
          {
            Condition: {
              StringEquals: { 'sts:ExternalId': 'secret' },
              IpAddress: { 'aws:SourceIp': '203.0.113.0/24' },
            },
          },
        ),
      ),
      context,
    );
    expect(trust).toMatchObject({
      kind: 'external-account',
      account: '999999999999',
      conditions: ['aws:SourceIp', 'sts:ExternalId'],
      external: true,
    });
  });

  test('services, deleted principals, other actions and IAM’s URL-encoded form', () => {
    expect(kinds(policy(allow({ Service: ['ec2.amazonaws.com', 'lambda.amazonaws.com'] })))).toEqual([
      ['service', 'ec2.amazonaws.com', false],
      ['service', 'lambda.amazonaws.com', false],
    ]);
    // A principal whose role was deleted is shown by IAM as its unique id.
    expect(kinds(policy(allow({ AWS: 'AROAEXAMPLEID1234567' })))).toEqual([
      ['unknown', 'AROAEXAMPLEID1234567', true],
    ]);
    // Not an assume action, or a Deny: no trust.
    expect(
      kinds(policy(allow('*', { Action: 'sts:GetCallerIdentity' }), { ...allow('*'), Effect: 'Deny' })),
    ).toEqual([]);
    // `sts:*` and a single statement object; the document URL-encoded as ListRoles and GetRole return it.
    const encoded = encodeURIComponent(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: allow({ AWS: '999999999999' }, { Action: 'sts:*' }),
      }),
    );
    const trusts = readTrustPolicy(encoded, context);
    expect(trusts.map((t) => t.actions)).toEqual([
      ['sts:AssumeRole', 'sts:AssumeRoleWithSAML', 'sts:AssumeRoleWithWebIdentity'],
    ]);
    expect(externalTrusts(trusts)).toHaveLength(1);
    expect(() => readTrustPolicy('[]', context)).toThrow('a trust policy is a JSON object');
  });
});
