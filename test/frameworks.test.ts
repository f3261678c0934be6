import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { CHECKS } from '../src/collect/checks/cis.js';
import { ConfigError, loadConfig } from '../src/config.js';
import {
  type EvaluatedStatus,
  requirementStatus,
  withRelatedRequirements,
  worstStatus,
} from '../src/findings/frameworks.js';

/** A folder holding these mapping files, as a user would drop them in WARDEN_FRAMEWORKS_DIR. */
function folderWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-frameworks-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

function problemsOf(dir: string): string[] {
  try {
    loadConfig({ WARDEN_FRAMEWORKS_DIR: dir });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected the frameworks to be refused');
}

const SOC2 = `
id: soc2
name: SOC 2
version: "2017 (rev. 2022)"
requirements:
  - id: CC6.1
    title: Logical access security software, infrastructure and architectures
    controls: [IAM.4, IAM.6]
    checks: [root-access-keys, console-user-without-mfa]
  - id: CC6.2
    title: Prior to issuing system credentials, the entity registers and authorizes new users
`;

describe('mapping files', () => {
  test("Warden's own frameworks load with every configuration", () => {
    const { frameworks } = loadConfig({});
    expect(frameworks.map((f) => f.id)).toEqual(['cis-aws-3.0', 'nist-800-53-r5', 'pci-dss-4.0.1']);
    const cis = frameworks.find((f) => f.id === 'cis-aws-3.0')!;
    expect(cis.standard).toBe('standards/cis-aws-foundations-benchmark/v/3.0.0');
    expect(cis.requirements).toHaveLength(62);
    expect(cis.requirements.find((r) => r.id === '1.4')).toEqual({
      id: '1.4',
      title: "Ensure no 'root' user account access key exists",
      controls: ['IAM.4'],
      checks: ['root-access-keys'],
    });
  });

  test("the CIS v3.0.0 file maps each of Warden's checks to the recommendations the check names, and no other", () => {
    const cis = loadConfig({}).frameworks.find((f) => f.id === 'cis-aws-3.0')!;
    const fromFile = new Set(cis.requirements.flatMap((r) => r.checks.map((c) => `${c} ${r.id}`)));
    const fromChecks = new Set(
      CHECKS.flatMap((c) => (c.controls.cis['v3.0'] ?? '').split(/,\s*/).map((item) => `${c.id} ${item}`)),
    );
    expect([...fromFile].sort()).toEqual([...fromChecks].sort());
  });

  test("a user's framework dropped in WARDEN_FRAMEWORKS_DIR joins them; one with a built-in's id replaces it", () => {
    const dir = folderWith({
      'soc2.yaml': SOC2,
      'my-cis.yml':
        'id: cis-aws-3.0\nname: Our CIS\nversion: 3.0.0\nrequirements: [{ id: "1.4", title: Root keys }]\n',
      'notes.txt': 'not a mapping file: ignored',
    });
    const { frameworks } = loadConfig({ WARDEN_FRAMEWORKS_DIR: dir });
    expect(frameworks.map((f) => f.id)).toEqual(['cis-aws-3.0', 'nist-800-53-r5', 'pci-dss-4.0.1', 'soc2']);
    expect(frameworks.find((f) => f.id === 'cis-aws-3.0')!.name).toBe('Our CIS');
    const soc2 = frameworks.find((f) => f.id === 'soc2')!;
    expect(soc2.requirements.map((r) => [r.id, r.controls, r.checks])).toEqual([
      ['CC6.1', ['IAM.4', 'IAM.6'], ['root-access-keys', 'console-user-without-mfa']],
      ['CC6.2', [], []],
    ]);
    expect(soc2.file).toBe(path.join(dir, 'soc2.yaml'));
  });

  test('a broken file is refused with one line per problem naming the variable, the file and the field', () => {
    const dir = folderWith({
      'a-bad-ids.yaml': `
id: Bad Id
name: x
version: 1
requirements:
  - { id: "1", title: t, controls: [IAM4], checks: [root-keys] }
  - { id: "1", title: t }
`,
      'b-empty.yaml': 'id: empty\nname: Empty\nversion: 1\nrequirements: []\n',
      'c-broken.yaml': 'id: [unclosed\n',
      'd-soc2.yaml': SOC2,
      'e-soc2-again.json': JSON.stringify({
        id: 'soc2',
        name: 'Again',
        version: '1',
        requirements: [{ id: 'x', title: 'y' }],
      }),
    });
    const where = `WARDEN_FRAMEWORKS_DIR (${dir})`;
    expect(problemsOf(dir)).toEqual([
      `${where}: a-bad-ids.yaml: id: must be lower-case letters, digits, dots and dashes (cis-aws-3.0)`,
      `${where}: a-bad-ids.yaml: requirements.0.controls.0: must be a security control id, like IAM.4`,
      `${where}: a-bad-ids.yaml: requirements.0.checks.0: must be one of Warden's checks: root-access-keys, root-mfa, root-recent-use, console-user-without-mfa, access-key-not-rotated, unused-credentials, multiple-active-keys, password-policy-weak`,
      `${where}: b-empty.yaml: requirements: must list at least one requirement (or name relatedRequirements)`,
      expect.stringMatching(
        new RegExp(`^${where.replace(/[()]/g, '\\$&')}: c-broken.yaml: not valid YAML or JSON: `),
      ),
      `${where}: e-soc2-again.json: framework soc2 is also defined by d-soc2.yaml`,
    ]);
  });

  test('a repeated requirement id is named', () => {
    const dir = folderWith({
      'x.yaml': 'id: x\nname: X\nversion: 1\nrequirements: [{ id: A, title: a }, { id: A, title: b }]\n',
    });
    expect(problemsOf(dir)).toEqual([
      `WARDEN_FRAMEWORKS_DIR (${dir}): x.yaml: requirements.1.id: A is listed twice`,
    ]);
  });

  test('a folder that cannot be read is named', () => {
    const dir = path.join(folderWith({}), 'missing');
    expect(problemsOf(dir)).toEqual([`WARDEN_FRAMEWORKS_DIR (${dir}): cannot be read (ENOENT)`]);
    mkdirSync(dir);
    expect(loadConfig({ WARDEN_FRAMEWORKS_DIR: dir }).frameworks).toHaveLength(3);
  });
});

describe("a requirement's status", () => {
  const statuses = (s: Record<string, EvaluatedStatus>) => (id: string) => s[id];
  const req = { controls: ['IAM.4', 'S3.1'], checks: ['root-access-keys'] };

  test('failed when one mapped control or check fails, whatever the others say', () => {
    expect(
      requirementStatus(
        req,
        statuses({ 'IAM.4': 'passed', 'S3.1': 'unknown', 'root-access-keys': 'failed' }),
      ),
    ).toBe('failed');
  });
  test('unknown when none fails and one could not decide', () => {
    expect(requirementStatus(req, statuses({ 'IAM.4': 'passed', 'S3.1': 'unknown' }))).toBe('unknown');
  });
  test('passed when those with data pass (as a control without data does not count in Security Hub)', () => {
    expect(requirementStatus(req, statuses({ 'IAM.4': 'passed' }))).toBe('passed');
  });
  test('no data when nothing mapped has been evaluated', () => {
    expect(requirementStatus(req, statuses({ 'S3.1': 'no-data' }))).toBe('no-data');
  });
  test('manual when nothing automated maps to it', () => {
    expect(requirementStatus({ controls: [], checks: [] }, statuses({}))).toBe('manual');
  });
  test('in a scope, the worst of its accounts', () => {
    expect(worstStatus(['passed', 'failed', 'no-data'])).toBe('failed');
    expect(worstStatus(['no-data', 'passed'])).toBe('passed');
    expect(worstStatus([])).toBe('no-data');
  });
});

test("Security Hub's related requirements add controls and requirements to a framework that names their prefix", () => {
  const cis = loadConfig({}).frameworks.find((f) => f.id === 'cis-aws-3.0')!;
  const merged = withRelatedRequirements(cis, [
    {
      controlId: 'IAM.4',
      requirements: ['CIS AWS Foundations Benchmark v3.0.0/1.4', 'NIST.800-53.r5 AC-2(1)'],
    },
    { controlId: 'IAM.99', requirements: ['CIS AWS Foundations Benchmark v3.0.0/1.4'] },
    { controlId: 'X.1', requirements: ['CIS AWS Foundations Benchmark v3.0.0/9.9'] },
  ]);
  expect(merged.find((r) => r.id === '1.4')!.controls).toEqual(['IAM.4', 'IAM.99']);
  expect(merged.find((r) => r.id === '9.9')).toEqual({
    id: '9.9',
    title: null,
    controls: ['X.1'],
    checks: [],
  });
  // Natural order: 1.2 before 1.10, 9.9 last.
  expect(merged.map((r) => r.id).indexOf('1.2')).toBeLessThan(merged.map((r) => r.id).indexOf('1.10'));
  expect(merged.at(-1)!.id).toBe('9.9');
  // The file's own mapping is left as it was.
  expect(cis.requirements.find((r) => r.id === '1.4')!.controls).toEqual(['IAM.4']);
});
