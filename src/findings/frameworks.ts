import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { WARDEN_CHECK_IDS } from './checks.js';

/**
 * Frameworks: a framework's requirements, each mapped to the Security Hub controls and Warden checks
 * that evaluate it, with the requirement's text. They come from versioned mapping files, one per
 * framework (frameworks/ in the repository, and the folder WARDEN_FRAMEWORKS_DIR names), and, for a
 * framework whose file names the prefix Security Hub writes in `Compliance.RelatedRequirements`
 * (`CIS AWS Foundations Benchmark v3.0.0/`), from the findings' own related requirements.
 */

/** What a security control id looks like (IAM.4, CloudTrail.1). */
export const SECURITY_CONTROL_ID = /^[A-Za-z][A-Za-z0-9]*\.[0-9]+$/;

export interface Requirement {
  id: string;
  /** The requirement's text; null when only Security Hub's related requirements name it. */
  title: string | null;
  /** Security controls (IAM.4) that evaluate it. */
  controls: string[];
  /** Warden's checks (root-access-keys) that evaluate it. */
  checks: string[];
}

export interface Framework {
  /** What `/compliance` and `warden report` take: `cis-aws-3.0`, `soc2`. */
  id: string;
  name: string;
  version: string;
  /** The Security Hub standard it scores, if any (`standards/cis-aws-foundations-benchmark/v/3.0.0`). */
  standard: string | null;
  /** The `RelatedRequirements` prefix whose entries add to this mapping, if any. */
  relatedRequirements: string | null;
  requirements: Requirement[];
  /** The file it was read from. */
  file: string;
}

/**
 * A requirement's status in an account: failed when a mapped control or check fails, unknown when
 * one could not decide, passed when the others with data pass, no-data when none has data, manual
 * when nothing automated is mapped to it.
 */
export type RequirementStatus = 'failed' | 'unknown' | 'passed' | 'no-data' | 'manual';

/** Worst first: the order a status is read in, for a requirement and for a scope of accounts. */
export const REQUIREMENT_STATUSES: RequirementStatus[] = ['failed', 'unknown', 'passed', 'no-data', 'manual'];

/** How many requirements have each status: none yet. */
export const noRequirementCounts = (): Record<RequirementStatus, number> =>
  Object.fromEntries(REQUIREMENT_STATUSES.map((s) => [s, 0])) as Record<RequirementStatus, number>;

/** A control's (or check's) status in an account, as the requirement reads it. */
export type EvaluatedStatus = 'failed' | 'unknown' | 'passed' | 'no-data';

/** A requirement's status from its controls' and checks' statuses in one account. */
export function requirementStatus(
  requirement: Pick<Requirement, 'controls' | 'checks'>,
  statusOf: (controlId: string) => EvaluatedStatus | undefined,
): RequirementStatus {
  const mapped = [...requirement.controls, ...requirement.checks];
  if (mapped.length === 0) return 'manual';
  const statuses = new Set(mapped.map((id) => statusOf(id) ?? 'no-data'));
  return (['failed', 'unknown', 'passed'] as const).find((s) => statuses.has(s)) ?? 'no-data';
}

/** The worst of several accounts' statuses: failed in one account is failed in the OU. */
export const worstStatus = (statuses: RequirementStatus[]): RequirementStatus =>
  REQUIREMENT_STATUSES.find((s) => statuses.includes(s)) ?? 'no-data';

const requirementSchema = z
  .object({
    id: z.string().trim().min(1, { message: 'must not be empty' }).max(64),
    title: z.string().trim().min(1, { message: 'must not be empty' }).max(500),
    controls: z
      .array(z.string().regex(SECURITY_CONTROL_ID, { message: 'must be a security control id, like IAM.4' }))
      .default([]),
    checks: z
      .array(
        z.enum(WARDEN_CHECK_IDS, {
          message: `must be one of Warden's checks: ${WARDEN_CHECK_IDS.join(', ')}`,
        }),
      )
      .default([]),
  })
  .strict();

const fileSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]{0,63}$/, {
      message: 'must be lower-case letters, digits, dots and dashes (cis-aws-3.0)',
    }),
    name: z.string().trim().min(1).max(200),
    version: z.coerce.string().trim().min(1).max(40),
    standard: z
      .string()
      .regex(/^(standards|ruleset)\/[a-z0-9.-]+\/v\/[0-9.]+$/, {
        message: 'must be a Security Hub standard id (standards/…/v/…)',
      })
      .optional(),
    relatedRequirements: z.string().min(1).max(100).optional(),
    requirements: z.array(requirementSchema).default([]),
  })
  .strict()
  .superRefine((f, ctx) => {
    if (f.requirements.length === 0 && !f.relatedRequirements)
      ctx.addIssue({
        code: 'custom',
        path: ['requirements'],
        message: 'must list at least one requirement (or name relatedRequirements)',
      });
    const seen = new Set<string>();
    f.requirements.forEach((r, i) => {
      if (seen.has(r.id))
        ctx.addIssue({ code: 'custom', path: ['requirements', i, 'id'], message: `${r.id} is listed twice` });
      seen.add(r.id);
    });
  });

/** The frameworks shipped with Warden: frameworks/ at the repository's (or image's) root. */
export const BUILT_IN_FRAMEWORKS = findFolder(path.dirname(new URL(import.meta.url).pathname));

function findFolder(from: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'frameworks');
    if (existsSync(path.join(dir, 'package.json')) && existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * Reads every mapping file (`*.yaml`, `*.yml`, `*.json`) of the built-in folder, then of the user's
 * folder (`label` names it in errors, e.g. WARDEN_FRAMEWORKS_DIR): a user's framework replaces a
 * built-in one of the same id; two of one folder with the same id are an error. Each problem is
 * added to `problems` as one line naming the file and the field.
 */
export function loadFrameworks(
  folders: Array<{ folder: string; label: string; builtIn: boolean }>,
  problems: string[],
): Framework[] {
  const byId = new Map<string, Framework & { builtIn: boolean }>();
  for (const { folder, label, builtIn } of folders) {
    let names: string[];
    try {
      names = readdirSync(folder)
        .filter((n) => /\.(ya?ml|json)$/.test(n))
        .sort();
    } catch (err) {
      problems.push(`${label}: cannot be read (${(err as NodeJS.ErrnoException).code ?? err})`);
      continue;
    }
    for (const name of names) {
      const file = path.join(folder, name);
      const where = `${label}: ${name}`;
      let raw: unknown;
      try {
        raw = parseYaml(readFileSync(file, 'utf8'));
      } catch (err) {
        problems.push(`${where}: not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
        continue;
      }
      const parsed = fileSchema.safeParse(raw);
      if (!parsed.success) {
        for (const issue of parsed.error.issues.slice(0, 5)) {
          const at = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
          problems.push(`${where}: ${at}: ${issue.message}`);
        }
        continue;
      }
      const f = parsed.data;
      const earlier = byId.get(f.id);
      if (earlier && earlier.builtIn === builtIn) {
        problems.push(`${where}: framework ${f.id} is also defined by ${path.basename(earlier.file)}`);
        continue;
      }
      byId.set(f.id, {
        id: f.id,
        name: f.name,
        version: f.version,
        standard: f.standard ?? null,
        relatedRequirements: f.relatedRequirements ?? null,
        requirements: f.requirements,
        file,
        builtIn,
      });
    }
  }
  return [...byId.values()].map(({ builtIn: _, ...f }) => f).sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * A framework's requirements with what Security Hub's related requirements add: each
 * `related` entry (a security control and the requirements it names) that starts with the
 * framework's prefix maps that control to the requirement, adding a requirement the file does not
 * list (without text). Requirements in their natural order (1.2 before 1.10).
 */
export function withRelatedRequirements(
  framework: Framework,
  related: Array<{ controlId: string; requirements: string[] }>,
): Requirement[] {
  const merged = new Map(framework.requirements.map((r) => [r.id, { ...r, controls: [...r.controls] }]));
  const prefix = framework.relatedRequirements;
  if (prefix) {
    for (const { controlId, requirements } of related) {
      for (const r of requirements) {
        if (!r.startsWith(prefix)) continue;
        const id = r.slice(prefix.length).trim();
        const req = merged.get(id) ?? { id, title: null, controls: [], checks: [] };
        if (!req.controls.includes(controlId)) req.controls.push(controlId);
        merged.set(id, req);
      }
    }
  }
  return [...merged.values()].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
}
