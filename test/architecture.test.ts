import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';

// The one-way data flow of DESIGN.md, made checkable as an allowlist: each layer names what it may
// import, and a new edge fails until someone decides it belongs here. Layers are the folders of
// src/ (src/slack/blocks apart from src/slack), its single-file modules, commands/ and jobs/.

/** What any layer may import: Warden's coded errors, the values its statuses take, and its metrics. */
const EVERYWHERE = ['src/errors', 'src/domain', 'src/metrics'];

const ALLOWED: Record<string, string[]> = {
  'src/errors': [],
  'src/domain': [],
  'src/metrics': [],
  'src/findings': [],
  'src/config': ['src/aws', 'src/findings'],
  'src/secrets': [],
  'src/log': ['src/config', 'src/secrets'],
  'src/reasons': [],
  'src/in-flight': [],
  // Storage and the outside world.
  'src/db': ['src/config', 'src/findings'],
  'src/http': ['src/db', 'src/log'],
  'src/audit': ['src/db', 'src/secrets'],
  'src/aws': [],
  'src/collect': ['src/aws', 'src/config', 'src/findings'],
  // The simulator shares only AWS's published facts with Warden (and the policies it enforces).
  'src/sim': ['src/aws', 'deploy'],
  'src/remediate': ['src/aws', 'src/collect', 'src/config', 'src/db', 'src/findings'],
  // Reading and changing state.
  'src/posture': ['src/config', 'src/db', 'src/findings'],
  'src/workflow': [
    'src/audit',
    'src/aws',
    'src/collect',
    'src/config',
    'src/db',
    'src/findings',
    'src/log',
    'src/posture',
    'src/reasons',
    'src/remediate',
    'src/report',
  ],
  // The auditor's evidence pack: read from storage, written as files.
  'src/report': ['src/audit', 'src/db', 'src/findings', 'src/posture'],
  // Renderers: data in, blocks out.
  'src/slack/blocks': ['src/digest', 'src/posture', 'src/slack'],
  'src/digest': ['src/config', 'src/db', 'src/posture', 'src/schedule', 'src/slack/blocks', 'src/workflow'],
  // Slack's handlers: from src/db only types, failures and the health check (tested below).
  'src/slack': [
    'src/aws',
    'src/config',
    'src/db',
    'src/findings',
    'src/http',
    'src/in-flight',
    'src/log',
    'src/posture',
    'src/remediate',
    'src/slack/blocks',
    'src/workflow',
  ],
  'src/schedule': ['src/config', 'src/db', 'src/services'],
  'src/terminal': ['src/db', 'src/digest', 'src/posture', 'src/workflow'],
  // The composition root: the runtime (config, logger, database, clock) and the services on it (AWS, Slack).
  'src/runtime': ['src/config', 'src/db', 'src/log', 'src/services'],
  'src/services': ['src/aws', 'src/runtime', 'src/slack', 'src/workflow'],
  // The CLI runs everything but never imports commands/ or jobs/: they are handed in.
  'src/cli': [
    'src/audit',
    'src/config',
    'src/db',
    'src/digest',
    'src/http',
    'src/log',
    'src/posture',
    'src/reasons',
    'src/report',
    'src/runtime',
    'src/schedule',
    'src/services',
    'src/sim',
    'src/slack',
    'src/terminal',
    'src/workflow',
  ],
  // The composition root's edge: the only file under src/ that knows commands/ and jobs/.
  'src/main': ['src/cli', 'commands', 'jobs'],
  'src/healthcheck': [],
  // Slash commands: parse → posture and workflow → render.
  commands: ['src/posture', 'src/slack', 'src/slack/blocks', 'src/workflow'],
  jobs: ['src/db', 'src/digest', 'src/schedule', 'src/slack', 'src/workflow'],
};

const root = path.resolve(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir)).flatMap((name) => {
    const rel = path.join(dir, name);
    return statSync(path.join(root, rel)).isDirectory() ? sources(rel) : rel.endsWith('.ts') ? [rel] : [];
  });
}

/** The layer a project path belongs to. */
function layerOf(file: string): string {
  const parts = file.replace(/\.(ts|js)$/, '').split(path.sep);
  if (parts[0] !== 'src') return parts[0]!;
  if (parts[1] === 'slack' && parts[2] === 'blocks' && parts.length > 3) return 'src/slack/blocks';
  return `src/${parts[1]}`;
}

/** Every relative import of a file, static or dynamic, as the layer it reaches. */
function importedLayers(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  return [...text.matchAll(/(?:from |import\()'(\.[^']+)'/g)].map((m) =>
    layerOf(path.relative(root, path.resolve(path.dirname(path.join(root, file)), m[1]!))),
  );
}

const files = ['src', 'commands', 'jobs'].flatMap(sources);

describe('layers', () => {
  test('every layer is in the table', () => {
    expect([...new Set(files.map(layerOf))].filter((l) => !(l in ALLOWED))).toEqual([]);
  });

  for (const [layer, allowed] of Object.entries(ALLOWED)) {
    test(`${layer} imports only ${allowed.length ? allowed.join(', ') : 'itself'}`, () => {
      const offending = files
        .filter((f) => layerOf(f) === layer)
        .flatMap((f) =>
          importedLayers(f)
            .filter((to) => to !== layer && !allowed.includes(to) && !EVERYWHERE.includes(to))
            .map((to) => `${f} → ${to}`),
        );
      expect(offending).toEqual([]);
    });
  }

  test('Slack handlers and slash commands read and change state through posture and the workflow', () => {
    // From src/db they take types, the description of a database failure, and the health check.
    const offending = files
      .filter((f) => ['src/slack', 'commands'].includes(layerOf(f)))
      .flatMap((f) =>
        [
          ...readFileSync(path.join(root, f), 'utf8').matchAll(
            /^import (?!type )[^;]*? from '([^']*\/db\/[^']+)'/gms,
          ),
        ]
          .map((m) => path.basename(m[1]!))
          .filter((module) => !['errors.js', 'status.js'].includes(module))
          .map((module) => `${f} → db/${module}`),
      );
    expect(offending).toEqual([]);
  });

  test('one writer of state: tables are written only by src/db and src/workflow', () => {
    const writers = files.filter((f) =>
      /\b(?:db|tx)\s*\.(?:insert|update|delete)\(/.test(readFileSync(path.join(root, f), 'utf8')),
    );
    expect(writers.filter((f) => !['src/db', 'src/workflow'].includes(layerOf(f)))).toEqual([]);
  });

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
