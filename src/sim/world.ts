import { CONTROLS } from './controls.js';
import { createRandom, type Random } from './random.js';
import type {
  ComplianceStatus,
  RecordState,
  Scenario,
  SeverityLabel,
  SimAccount,
  SimFinding,
  SimPasswordPolicy,
  SimRoot,
  SimUser,
  WorkflowStatus,
} from './scenario.js';
import type { SimBucket } from './services/s3.js';
import type { SimQueues } from './services/sqs.js';
import { type SimStandard, standardByKey, standardControls, subscriptionArn } from './standards.js';

const DAY = 86_400_000;

/** A Security Hub finding as the simulator keeps it; ASFF is built from it when a page is served. */
export interface FindingRecord {
  id: string;
  productArn: string;
  account: string;
  region: string;
  control: string;
  severity: SeverityLabel;
  compliance: ComplianceStatus;
  recordState: RecordState;
  workflow: WorkflowStatus;
  resourceType: string;
  resourceId: string;
  createdAt: number;
  updatedAt: number;
  note?: { Text: string; UpdatedBy: string; UpdatedAt: string };
  /** A per-standard copy (consolidated control findings off): the standard and its own control id. */
  standardCopy?: { standard: SimStandard; controlId: string; legacy: boolean };
}

export interface IamKey {
  id: string;
  createdAt: number;
  active: boolean;
  lastUsedAt: number | null;
  lastUsedService: string | undefined;
  lastUsedRegion: string | undefined;
}

export interface IamUser {
  name: string;
  id: string;
  createdAt: number;
  password: { lastUsedAt: number | null; changedAt: number } | undefined;
  mfa: boolean;
  keys: IamKey[];
  tags: Record<string, string>;
  groups: string[];
  attachedPolicies: string[];
  inlinePolicies: string[];
}

export interface IamRole {
  name: string;
  id: string;
  path: string;
  createdAt: number;
  trust: Record<string, unknown>;
  lastUsedAt: number | null;
  lastUsedRegion: string | undefined;
}

export interface CredentialReportState {
  state: 'none' | 'generating' | 'complete';
  pollsLeft: number;
  generatedAt?: number;
  content?: Buffer;
}

export interface AccountState {
  spec: SimAccount;
  root: { mfa: boolean; passwordLastUsedAt: number | null; keys: IamKey[]; createdAt: number };
  users: IamUser[];
  roles: IamRole[];
  passwordPolicy: SimPasswordPolicy | null;
  report: CredentialReportState;
}

/** A call as the simulator received it: who made it (the caller's ARN names the role session), and its parameters. */
export interface LoggedCall {
  service: string;
  operation: string;
  account: string;
  region: string;
  caller: string;
  params: Record<string, unknown>;
}

export interface IssuedCredentials {
  account: string;
  /** The caller's ARN (an IAM user, or an assumed-role session). */
  arn: string;
  userId: string;
  secretAccessKey: string;
  /** Set for assumed roles. */
  roleName?: string;
  expiresAt?: number;
}

/**
 * Everything the simulated organization holds, and every call it has answered. Tests reach in
 * through the methods below to change the world between scans and to count calls.
 */
export class SimWorld {
  readonly scenario: Scenario;
  readonly random: Random;
  readonly accounts = new Map<string, AccountState>();
  /** Findings by `account|region`, in creation order. */
  readonly findings = new Map<string, FindingRecord[]>();
  private readonly findingsById = new Map<string, FindingRecord>();
  readonly credentials = new Map<string, IssuedCredentials>();
  /** S3 buckets by name, with every version of every object. */
  readonly buckets = new Map<string, SimBucket>();
  private readonly callCounts = new Map<string, number>();
  /** Every call answered, in order, with its caller and parameters: what a test compares a plan with. */
  readonly callLog: LoggedCall[] = [];
  /** SQS queues, by name. */
  readonly queues: SimQueues = new Map();
  /** Who hears of a finding raised or changed after the world was built (the simulated EventBridge). */
  private readonly changeListeners: Array<(f: FindingRecord) => void> = [];

  constructor(
    scenario: Scenario,
    readonly now: () => number = Date.now,
  ) {
    this.scenario = scenario;
    this.random = createRandom(scenario.seed ?? 1);
    const t = now();
    this.credentials.set(scenario.callerCredentials.accessKeyId, {
      account: scenario.managementAccountId,
      arn: `arn:aws:iam::${scenario.managementAccountId}:user/${scenario.callerCredentials.userName}`,
      userId: `AIDA${this.random.token(16)}`,
      secretAccessKey: scenario.callerCredentials.secretAccessKey,
    });
    for (const b of scenario.buckets ?? [])
      this.buckets.set(b.name, { name: b.name, objectLock: Boolean(b.objectLock), objects: new Map() });
    // A scenario's OU ids are what AWS would hand out, so Warden meets the ids it will meet.
    for (const ou of scenario.ous)
      if (!/^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/.test(ou.id))
        throw new Error(`scenario: OU id ${ou.id} is not of AWS's form (ou-<root>-<8 to 32 characters>)`);
    for (const spec of scenario.accounts) {
      this.accounts.set(spec.id, {
        spec,
        root: this.buildRoot(spec.iam?.root, t),
        users: (spec.iam?.users ?? []).map((u) => this.buildUser(u, t)),
        roles: (spec.iam?.roles ?? []).map((r) => ({
          name: r.name,
          id: `AROA${this.random.token(16)}`,
          path: r.path ?? '/',
          createdAt: t - (r.createdDaysAgo ?? 400) * DAY,
          trust: r.trust,
          lastUsedAt: r.lastUsedDaysAgo == null ? null : t - r.lastUsedDaysAgo * DAY,
          lastUsedRegion: r.lastUsedDaysAgo == null ? undefined : (r.lastUsedRegion ?? 'us-east-1'),
        })),
        passwordPolicy: spec.iam?.passwordPolicy === undefined ? null : spec.iam.passwordPolicy,
        report: { state: 'none', pollsLeft: 0 },
      });
      // An unknown standard is the scenario's mistake, named now rather than at the first call.
      this.enabledStandards(spec.id);
      for (const d of spec.disabledControls ?? []) standardByKey(d.standard);
      for (const f of spec.findings ?? []) this.raiseFinding(spec.id, f, t);
    }
  }

  /**
   * Adds a finding to an account as its scenario describes one; times count back from `t`. With
   * consolidated control findings off, one per enabled standard (and standard control id) holding the
   * control, each with an Id of its own, as Security Hub writes them; the first is returned.
   */
  raiseFinding(accountId: string, f: SimFinding, t = this.now()): FindingRecord {
    const record = this.findingRecord(accountId, f, t);
    const mode = this.account(accountId)?.spec.controlFindings ?? 'consolidated';
    const copies =
      mode === 'consolidated'
        ? []
        : this.standardsOf(accountId, f.control).flatMap((standard) =>
            standardControls(standard)
              .filter((c) => c.securityControlId === f.control)
              .map((c) => ({ standard, controlId: c.controlId, legacy: mode === 'per-standard-legacy' })),
          );
    if (copies.length === 0) {
      this.addFinding(record);
      return record;
    }
    const records = copies.map((copy) => ({
      ...record,
      id: `${subscriptionArn(copy.standard, accountId, f.region)}/${copy.controlId}/finding/${this.random.uuid()}`,
      standardCopy: copy,
    }));
    for (const r of records) this.addFinding(r);
    return records[0]!;
  }

  private findingRecord(accountId: string, f: SimFinding, t: number): FindingRecord {
    const control = CONTROLS[f.control];
    if (!control) throw new Error(`scenario: account ${accountId}: unknown control ${f.control}`);
    const uuid = f.uuid ?? this.random.uuid();
    return {
      id: `arn:aws:securityhub:${f.region}:${accountId}:security-control/${f.control}/finding/${uuid}`,
      productArn: `arn:aws:securityhub:${f.region}::product/aws/securityhub`,
      account: accountId,
      region: f.region,
      control: f.control,
      severity: f.severity ?? control.severity,
      compliance: f.compliance ?? 'FAILED',
      recordState: f.recordState ?? 'ACTIVE',
      workflow: f.workflow ?? 'NEW',
      resourceType: f.resourceType ?? control.resourceType,
      resourceId:
        f.resourceId ?? control.resource(accountId, f.region, this.findingCount(accountId, f.region)),
      createdAt: t - (f.createdDaysAgo ?? 30) * DAY,
      updatedAt: t - (f.updatedDaysAgo ?? 1) * DAY,
    };
  }

  private buildKey(k: NonNullable<SimUser['keys']>[number], t: number): IamKey {
    return {
      id: k.id ?? `AKIA${this.random.token(16)}`,
      createdAt: t - k.ageDays * DAY,
      active: k.active ?? true,
      lastUsedAt: k.lastUsedDaysAgo == null ? null : t - k.lastUsedDaysAgo * DAY,
      lastUsedService: k.lastUsedDaysAgo == null ? undefined : (k.lastUsedService ?? 'sts'),
      lastUsedRegion: k.lastUsedDaysAgo == null ? undefined : (k.lastUsedRegion ?? 'us-east-1'),
    };
  }

  private buildRoot(root: SimRoot | undefined, t: number): AccountState['root'] {
    return {
      mfa: root?.mfa ?? true,
      passwordLastUsedAt:
        root?.passwordLastUsedDaysAgo == null ? null : t - root.passwordLastUsedDaysAgo * DAY,
      keys: (root?.keys ?? []).map((k) => this.buildKey(k, t)),
      createdAt: t - 900 * DAY,
    };
  }

  /** A user created in an account now (an access review started before it is caught up). */
  addUser(accountId: string, u: SimUser): IamUser {
    const user = this.buildUser(u, this.now());
    this.account(accountId)!.users.push(user);
    return user;
  }

  private buildUser(u: SimUser, t: number): IamUser {
    return {
      name: u.name,
      tags: u.tags ?? {},
      id: `AIDA${this.random.token(16)}`,
      createdAt: t - u.createdDaysAgo * DAY,
      password: u.password
        ? {
            lastUsedAt: u.password.lastUsedDaysAgo == null ? null : t - u.password.lastUsedDaysAgo * DAY,
            changedAt: t - (u.password.changedDaysAgo ?? u.createdDaysAgo) * DAY,
          }
        : undefined,
      mfa: u.mfa ?? false,
      keys: (u.keys ?? []).map((k) => this.buildKey(k, t)),
      groups: u.groups ?? [],
      attachedPolicies: u.policies?.attached ?? [],
      inlinePolicies: u.policies?.inline ?? [],
    };
  }

  private findingCount(account: string, region: string): number {
    return this.findings.get(`${account}|${region}`)?.length ?? 0;
  }

  addFinding(record: FindingRecord): void {
    const key = `${record.account}|${record.region}`;
    const list = this.findings.get(key);
    if (list) list.push(record);
    else this.findings.set(key, [record]);
    this.findingsById.set(record.id, record);
    this.changed(record);
  }

  /** Calls `listener` with every finding raised or changed from now on. */
  onFindingChange(listener: (f: FindingRecord) => void): void {
    this.changeListeners.push(listener);
  }

  /** Tells the listeners that a finding was raised or changed (by its provider, or by BatchUpdateFindings). */
  changed(record: FindingRecord): void {
    for (const listener of this.changeListeners) listener(record);
  }

  /** Every finding, in a stable order. */
  *allFindings(): Iterable<FindingRecord> {
    for (const list of this.findings.values()) yield* list;
  }

  findFinding(id: string): FindingRecord | undefined {
    return this.findingsById.get(id);
  }

  /** Changes a finding as its provider would, moving UpdatedAt to now. */
  updateFinding(
    id: string,
    change: Partial<Pick<FindingRecord, 'compliance' | 'recordState' | 'workflow' | 'severity'>>,
  ) {
    const f = this.findFinding(id);
    if (!f) throw new Error(`no simulated finding ${id}`);
    Object.assign(f, change, { updatedAt: this.now() });
    this.changed(f);
    return f;
  }

  /** Deletes a finding outright (as Security Hub does after 90 days without updates). */
  deleteFinding(id: string): void {
    const f = this.findingsById.get(id);
    if (!f) throw new Error(`no simulated finding ${id}`);
    const list = this.findings.get(`${f.account}|${f.region}`)!;
    list.splice(list.indexOf(f), 1);
    this.findingsById.delete(id);
  }

  account(id: string): AccountState | undefined {
    return this.accounts.get(id);
  }

  /** The standards enabled in an account (the same in each of its regions). */
  enabledStandards(accountId: string): SimStandard[] {
    const keys = this.account(accountId)?.spec.standards ?? this.scenario.securityHub?.standards ?? [];
    return keys.map(standardByKey);
  }

  /** Why a control is disabled in one of an account's standards, or undefined while it is enabled. */
  disabledReason(accountId: string, standard: SimStandard, controlId: string): string | undefined {
    const hit = this.account(accountId)?.spec.disabledControls?.find(
      (d) => standardByKey(d.standard) === standard && d.control === controlId,
    );
    return hit ? (hit.reason ?? 'Disabled in the scenario') : undefined;
  }

  /**
   * The enabled standards in which a security control is enabled for an account: what a control
   * finding's `Compliance.AssociatedStandards` lists.
   */
  standardsOf(accountId: string, securityControlId: string): SimStandard[] {
    return this.enabledStandards(accountId).filter((s) =>
      standardControls(s).some(
        (c) =>
          c.securityControlId === securityControlId &&
          this.disabledReason(accountId, s, c.controlId) === undefined,
      ),
    );
  }

  countCall(operation: string, account: string): void {
    const key = `${operation}|${account}`;
    this.callCounts.set(key, (this.callCounts.get(key) ?? 0) + 1);
  }

  logCall(call: LoggedCall): void {
    this.callLog.push(call);
  }

  /** How many times `operation` was called, by one account or by all. */
  calls(operation: string, account?: string): number {
    if (account) return this.callCounts.get(`${operation}|${account}`) ?? 0;
    let n = 0;
    for (const [key, count] of this.callCounts) if (key.startsWith(`${operation}|`)) n += count;
    return n;
  }

  totalCalls(): number {
    let n = 0;
    for (const count of this.callCounts.values()) n += count;
    return n;
  }

  resetCalls(): void {
    this.callCounts.clear();
    this.callLog.length = 0;
  }
}
