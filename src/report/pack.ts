import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { evidenceCsv } from './csv.js';
import type { EvidencePack } from './evidence.js';
import { day } from './format.js';
import { evidenceHtml } from './html.js';
import { evidencePdf } from './pdf.js';

/** One file of the pack, as the manifest lists it. */
export interface PackFile {
  name: string;
  bytes: number;
  sha256: string;
}

/** The pack's files by name: `evidence-cis-aws-3.0-2026-09-01-2026-11-30.html` and its siblings. */
export const packBaseName = (pack: EvidencePack) =>
  `evidence-${pack.framework.id}-${day(pack.period.from)}-${day(new Date(pack.period.to.getTime() - 1))}`;

/** Renders the pack's files in memory: HTML, PDF, CSV, and the manifest of the three with their SHA-256. */
export async function renderPack(pack: EvidencePack): Promise<Array<{ name: string; content: Buffer }>> {
  const base = packBaseName(pack);
  const files = [
    { name: `${base}.html`, content: Buffer.from(evidenceHtml(pack)) },
    { name: `${base}.pdf`, content: await evidencePdf(pack) },
    { name: `${base}.csv`, content: Buffer.from(evidenceCsv(pack)) },
  ];
  const manifest = {
    framework: pack.framework,
    scope: { kind: pack.scope.kind, id: pack.scope.id, title: pack.scope.title },
    period: { from: pack.period.from.toISOString(), to: pack.period.to.toISOString() },
    generatedBy: pack.generatedBy,
    generatedAt: pack.generatedAt.toISOString(),
    auditHead: pack.auditHead,
    files: files.map(
      (f): PackFile => ({
        name: f.name,
        bytes: f.content.length,
        sha256: createHash('sha256').update(f.content).digest('hex'),
      }),
    ),
  };
  return [
    ...files,
    { name: `${base}.manifest.json`, content: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`) },
  ];
}

/**
 * Writes the pack into `dir` (made if missing). Each file is written under a temporary name and
 * renamed: a reader never sees half a file, and a run that dies leaves no file with the final name.
 */
export async function writePack(pack: EvidencePack, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = await renderPack(pack);
  const written: string[] = [];
  for (const f of files) {
    const target = path.join(dir, f.name);
    const partial = `${target}.${process.pid}.partial`;
    await writeFile(partial, f.content, { mode: 0o640 });
    await rename(partial, target);
    written.push(target);
  }
  return written;
}
