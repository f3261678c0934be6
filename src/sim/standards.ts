import { CONTROLS, type SimControl } from './controls.js';

/**
 * The Security Hub standards the simulator can enable, and which of its controls each holds.
 *
 * What is from AWS's documentation: the standards' ARNs (`standards/…`, CIS v1.2.0's `ruleset/…`),
 * the subscription and standard-control ARNs (`…:subscription/<path>`, `…:control/<path>/<id>`, as
 * control findings' `ProductFields` show them), and each control's related requirements
 * (controls.ts). A control belongs to a CIS, NIST or PCI standard when its related requirements
 * name that version. CIS v1.2.0 numbers its controls by rule (`1.12`, as `RuleId` and the
 * control ARN show); the other standards here use the security control id, which is what lets two
 * controls (S3.1 and S3.8) cover one CIS v3.0.0 requirement (2.1.4). That the newer standards'
 * `ControlId` is the security control id is the simulator's reading, not a documented fact.
 */
export interface SimStandard {
  /** What `Compliance.AssociatedStandards[].StandardsId` carries: the ARN after `::`. */
  id: string;
  name: string;
  /** CIS v1.2.0's ARN has no region; the others name the region they are read in. */
  regional: boolean;
  /** The `RelatedRequirements` prefix that puts a control in this standard (FSBP has none). */
  requirementPrefix?: string;
  /** Standard control ids of a security control: its own id, or CIS v1.2.0's rule numbers. */
  controlIds(securityControlId: string, control: SimControl): string[];
}

const own = (id: string) => [id];
const byRequirement = (prefix: string, numbered: boolean) => (id: string, control: SimControl) => {
  const mine = control.requirements.filter((r) => r.startsWith(prefix));
  if (mine.length === 0) return [];
  return numbered ? mine.map((r) => r.slice(prefix.length)) : [id];
};

const cis = (version: string, numbered: boolean): SimStandard => ({
  id: `${numbered ? 'ruleset' : 'standards'}/cis-aws-foundations-benchmark/v/${version}`,
  name: `CIS AWS Foundations Benchmark v${version}`,
  regional: !numbered,
  requirementPrefix: `CIS AWS Foundations Benchmark v${version}/`,
  controlIds: byRequirement(`CIS AWS Foundations Benchmark v${version}/`, numbered),
});

export const STANDARDS: Record<string, SimStandard> = {
  fsbp: {
    id: 'standards/aws-foundational-security-best-practices/v/1.0.0',
    name: 'AWS Foundational Security Best Practices v1.0.0',
    regional: true,
    controlIds: (id, c) => (c.fsbp ? own(id) : []),
  },
  'cis-1.2': cis('1.2.0', true),
  'cis-1.4': cis('1.4.0', false),
  'cis-3.0': cis('3.0.0', false),
  'cis-5.0': cis('5.0.0', false),
  nist: {
    id: 'standards/nist-800-53/v/5.0.0',
    name: 'NIST Special Publication 800-53 Revision 5',
    regional: true,
    requirementPrefix: 'NIST.800-53.r5 ',
    controlIds: byRequirement('NIST.800-53.r5 ', false),
  },
  'pci-4.0': {
    id: 'standards/pci-dss/v/4.0.1',
    name: 'PCI DSS v4.0.1',
    regional: true,
    requirementPrefix: 'PCI DSS v4.0.1/',
    controlIds: byRequirement('PCI DSS v4.0.1/', false),
  },
};

/** The standard's ARN in a region. */
export const standardArn = (s: SimStandard, region: string) =>
  `arn:aws:securityhub:${s.regional ? region : ''}::${s.id}`;

/** The path ARNs of an account's subscription and standard controls use: the id without its kind. */
export const pathOf = (s: SimStandard) => s.id.slice(s.id.indexOf('/') + 1);

export const subscriptionArn = (s: SimStandard, account: string, region: string) =>
  `arn:aws:securityhub:${region}:${account}:subscription/${pathOf(s)}`;

export const standardControlArn = (s: SimStandard, account: string, region: string, controlId: string) =>
  `arn:aws:securityhub:${region}:${account}:control/${pathOf(s)}/${controlId}`;

export interface StandardControl {
  /** The standard's own id for it. */
  controlId: string;
  securityControlId: string;
}

const controlsOf = new Map<SimStandard, StandardControl[]>();

/** A standard's controls: its own control id, and the security control behind it. */
export function standardControls(s: SimStandard): StandardControl[] {
  let list = controlsOf.get(s);
  if (!list) {
    list = Object.entries(CONTROLS).flatMap(([securityControlId, control]) =>
      s.controlIds(securityControlId, control).map((controlId) => ({ controlId, securityControlId })),
    );
    controlsOf.set(s, list);
  }
  return list;
}

/** Looks a standard up by its key in STANDARDS or its id; throws on an unknown one (a scenario mistake). */
export function standardByKey(key: string): SimStandard {
  const s = STANDARDS[key] ?? Object.values(STANDARDS).find((x) => x.id === key);
  if (!s) throw new Error(`scenario: unknown standard ${key} (known: ${Object.keys(STANDARDS).join(', ')})`);
  return s;
}
