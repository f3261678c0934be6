/**
 * Who may assume a role, read from its trust policy (`AssumeRolePolicyDocument`), for access
 * reviews: principals of other AWS accounts, federated identity providers and `*` are outside the
 * organization unless a condition keeps them in it (`aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`);
 * AWS services and the organization's own accounts are not. IAM's query API returns the document
 * URL-encoded; it is decoded here. From the IAM policy grammar (Principal, NotPrincipal, Action,
 * Condition) as the IAM User Guide states it.
 */

export type TrustKind =
  /** An AWS account (or one of its roles or users) outside the organization. */
  | 'external-account'
  /** An account of the organization, the role's own included. */
  | 'org-account'
  /** A SAML or OIDC provider (`Federated`): whoever it vouches for. */
  | 'federated'
  /** Anyone (`*`, or `NotPrincipal`), unless a condition keeps it to the organization. */
  | 'wildcard'
  /** An AWS service principal (ec2.amazonaws.com): not a person. */
  | 'service'
  /** A principal IAM shows as an id (AROA…, AIDA…): the account or role it named was deleted. */
  | 'unknown';

export interface Trust {
  kind: TrustKind;
  /** As the policy names it: an account id or ARN, a provider, `*`. */
  principal: string;
  /** The account a principal belongs to, when it names one. */
  account?: string;
  /** The STS actions the statement allows (AssumeRole, AssumeRoleWithSAML, …). */
  actions: string[];
  /** The condition keys the statement requires (sts:ExternalId, aws:SourceIp, saml:aud, …). */
  conditions: string[];
  /** A condition keeps the principal to the organization (aws:PrincipalOrgID / aws:PrincipalOrgPaths). */
  orgOnly: boolean;
  /** Outside the organization: what a review must look at. */
  external: boolean;
}

export interface TrustContext {
  organizationId: string;
  /** Every account of the organization. */
  accountIds: ReadonlySet<string>;
}

type Json = Record<string, unknown>;

const ASSUME_ACTIONS = ['sts:AssumeRole', 'sts:AssumeRoleWithSAML', 'sts:AssumeRoleWithWebIdentity'];
const ORG_KEYS = ['aws:principalorgid', 'aws:principalorgpaths'];
/** The kinds of principal that are outside the organization. */
const OUTSIDE: TrustKind[] = ['external-account', 'federated', 'wildcard', 'unknown'];

const list = (v: unknown): string[] =>
  (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string');

/** `sts:*`, `*`, `sts:AssumeRole*` …: the assume actions an Action pattern matches (IAM matches case-insensitively). */
function assumeActions(patterns: string[]): string[] {
  const matches = (pattern: string, action: string) =>
    new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
      'i',
    ).test(action);
  return ASSUME_ACTIONS.filter((a) => patterns.some((p) => matches(p, a)));
}

/** The policy as an object: IAM's query API returns it URL-encoded JSON. Throws on what is not a policy. */
function documentOf(document: string | Json): Json {
  if (typeof document !== 'string') return document;
  const text = document.trim().startsWith('%') ? decodeURIComponent(document) : document;
  const parsed = JSON.parse(text) as unknown;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error('a trust policy is a JSON object');
  return parsed as Json;
}

/** Whether a statement's condition keeps principals to this organization (its id, or one of its paths). */
function keepsToOrg(condition: Json | undefined, organizationId: string): boolean {
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    if (!/^(ForAnyValue:|ForAllValues:)?String(Equals|Like)(IgnoreCase)?$/i.test(operator)) continue;
    for (const [key, value] of Object.entries((keys as Json) ?? {})) {
      if (!ORG_KEYS.includes(key.toLowerCase())) continue;
      const values = list(value);
      if (
        values.length > 0 &&
        values.every((v) => v === organizationId || v.startsWith(`${organizationId}/`))
      )
        return true;
    }
  }
  return false;
}

/** Whether a Deny statement refuses every principal outside the organization (StringNotEquals on aws:PrincipalOrgID). */
function deniesOutsideOrg(statement: Json, organizationId: string): boolean {
  if (statement.Effect !== 'Deny') return false;
  if (!(statement.Principal === '*' || list((statement.Principal as Json | undefined)?.AWS).includes('*')))
    return false;
  if (assumeActions(list(statement.Action)).length === 0) return false;
  for (const [operator, keys] of Object.entries((statement.Condition as Json | undefined) ?? {})) {
    if (!/^String(NotEquals|NotLike)(IgnoreCase)?$/i.test(operator)) continue;
    for (const [key, value] of Object.entries((keys as Json) ?? {}))
      if (ORG_KEYS.includes(key.toLowerCase()) && list(value).every((v) => v.startsWith(organizationId)))
        return true;
  }
  return false;
}

const conditionKeys = (condition: Json | undefined) =>
  [...new Set(Object.values(condition ?? {}).flatMap((keys) => Object.keys((keys as Json) ?? {})))].sort();

/** The account an AWS principal names: an account id, or the account of an IAM or STS ARN. */
function accountOf(principal: string): string | undefined {
  if (/^\d{12}$/.test(principal)) return principal;
  return /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/.exec(principal)?.[1];
}

/**
 * Every principal a role's trust policy lets assume it, classified. A Deny statement is read only
 * for what keeps principals to the organization; other denies narrow trusts this does not model, and
 * the review shows the allow as it is.
 */
export function readTrustPolicy(document: string | Json, context: TrustContext): Trust[] {
  const policy = documentOf(document);
  const statements = (Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement]).filter(
    (s): s is Json => Boolean(s) && typeof s === 'object',
  );
  const orgWide = statements.some((s) => deniesOutsideOrg(s, context.organizationId));
  const trusts: Trust[] = [];
  for (const statement of statements) {
    if (statement.Effect !== 'Allow') continue;
    const actions = assumeActions(list(statement.Action));
    if (actions.length === 0) continue;
    const condition = statement.Condition as Json | undefined;
    const orgOnly = orgWide || keepsToOrg(condition, context.organizationId);
    const conditions = conditionKeys(condition);
    // A principal outside the organization is kept out by an organization condition (it never
    // matches one: a federated identity or another account has no aws:PrincipalOrgID of this org).
    const add = (kind: TrustKind, principal: string, account?: string) =>
      trusts.push({
        kind,
        principal,
        ...(account ? { account } : {}),
        actions,
        conditions,
        orgOnly,
        external: OUTSIDE.includes(kind) && !orgOnly,
      });
    if (statement.NotPrincipal !== undefined) {
      add('wildcard', `NotPrincipal ${JSON.stringify(statement.NotPrincipal)}`);
      continue;
    }
    const principal = statement.Principal;
    if (principal === '*') {
      add('wildcard', '*');
      continue;
    }
    const p = (principal ?? {}) as Json;
    for (const aws of list(p.AWS)) {
      if (aws === '*') add('wildcard', '*');
      else {
        const account = accountOf(aws);
        if (!account) add('unknown', aws);
        else add(context.accountIds.has(account) ? 'org-account' : 'external-account', aws, account);
      }
    }
    for (const provider of list(p.Federated)) add('federated', provider, accountOf(provider));
    for (const service of list(p.Service)) add('service', service);
    for (const canonical of list(p.CanonicalUser)) add('unknown', canonical);
  }
  return trusts;
}

/** The trusts of a role that a review must look at: outside the organization. */
export const externalTrusts = (trusts: Trust[]) => trusts.filter((t) => t.external);
