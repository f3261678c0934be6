import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';

// The one-way data flow of DESIGN.md, made checkable: each layer imports only what lies below it.

const root = path.resolve(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir)).flatMap((name) => {
    const rel = path.join(dir, name);
    return statSync(path.join(root, rel)).isDirectory() ? sources(rel) : rel.endsWith('.ts') ? [rel] : [];
  });
}

/** The project folders a file imports from (`src/db`, `src/aws`, …), resolved from its relative imports. */
function importedFolders(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  return [...text.matchAll(/from '(\.[^']+)'/g)].map((m) => {
    const target = path.relative(root, path.resolve(path.dirname(path.join(root, file)), m[1]!));
    const parts = target.split(path.sep);
    return parts[0] === 'src' && parts.length > 2
      ? `src/${parts[1]}`
      : parts.slice(0, 2).join('/').replace(/\.js$/, '');
  });
}

const RULES: Array<{ layer: string; mayNotImport: string[] }> = [
  {
    layer: 'src/findings',
    mayNotImport: ['src/db', 'src/aws', 'src/collect', 'src/workflow', 'src/sim', 'src/posture'],
  },
  { layer: 'src/collect', mayNotImport: ['src/db', 'src/workflow', 'src/sim', 'src/posture'] },
  { layer: 'src/aws', mayNotImport: ['src/db', 'src/collect', 'src/workflow', 'src/sim', 'src/posture'] },
  { layer: 'src/db', mayNotImport: ['src/aws', 'src/collect', 'src/workflow', 'src/sim', 'src/posture'] },
  { layer: 'src/posture', mayNotImport: ['src/aws', 'src/collect', 'src/workflow', 'src/sim'] },
  // Renderers know blocks, not AWS or the database; commands go through posture and workflow.
  {
    layer: 'src/slack/blocks',
    mayNotImport: ['src/db', 'src/aws', 'src/collect', 'src/workflow', 'src/sim'],
  },
  { layer: 'commands', mayNotImport: ['src/db', 'src/aws', 'src/collect', 'src/sim'] },
  // Playbooks know AWS and the finding they fix; requests, approvals and Slack are the workflow's.
  {
    layer: 'src/remediate',
    mayNotImport: ['src/workflow', 'src/slack', 'src/sim', 'src/posture', 'src/digest'],
  },
  // Digests are drawn from posture figures; they neither call AWS nor change state.
  { layer: 'src/digest', mayNotImport: ['src/aws', 'src/collect', 'src/sim', 'src/remediate'] },
  { layer: 'jobs', mayNotImport: ['src/sim', 'src/collect'] },
  // The simulator shares only AWS's published facts with Warden, never Warden's logic.
  {
    layer: 'src/sim',
    mayNotImport: ['src/db', 'src/collect', 'src/workflow', 'src/findings', 'src/posture', 'src/audit'],
  },
];

describe('layers', () => {
  for (const rule of RULES) {
    test(`${rule.layer} does not import ${rule.mayNotImport.join(', ')}`, () => {
      const offending = sources(rule.layer).flatMap((file) =>
        importedFolders(file)
          .filter((folder) => rule.mayNotImport.includes(folder))
          .map((folder) => `${file} → ${folder}`),
      );
      expect(offending).toEqual([]);
    });
  }

  test('the simulator takes from src/aws only the published quotas and the token bucket', () => {
    const used = new Set(
      sources('src/sim').flatMap((file) =>
        [...readFileSync(path.join(root, file), 'utf8').matchAll(/from '(\.[^']*\/aws\/[^']+)'/g)].map((m) =>
          path.basename(m[1]!),
        ),
      ),
    );
    expect([...used].sort()).toEqual(['quotas.js', 'token-bucket.js']);
  });
});
