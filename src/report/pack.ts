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

/**
 * Renders the pack's files in memory: HTML, PDF, CSV, and the manifest of the three with their
 * SHA-256 (each file carries its own digest; the manifest's is its own).
 */
export async function renderPack(
  pack: EvidencePack,
): Promise<{ files: Array<{ name: string; content: Buffer; sha256: string }> }> {
  const base = packBaseName(pack);
  const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex');
  const withDigest = (name: string, content: Buffer) => ({ name, content, sha256: sha256(content) });
  const files = [
    withDigest(`${base}.html`, Buffer.from(evidenceHtml(pack))),
    withDigest(`${base}.pdf`, await evidencePdf(pack)),
    withDigest(`${base}.csv`, Buffer.from(evidenceCsv(pack))),
  ];
  const manifest = {
    framework: pack.framework,
    scope: { kind: pack.scope.kind, id: pack.scope.id, title: pack.scope.title },
    period: { from: pack.period.from.toISOString(), to: pack.period.to.toISOString() },
    generatedBy: pack.generatedBy,
    generatedAt: pack.generatedAt.toISOString(),
    auditHead: pack.auditHead,
    files: files.map((f): PackFile => ({ name: f.name, bytes: f.content.length, sha256: f.sha256 })),
  };
  const manifestFile = withDigest(
    `${base}.manifest.json`,
    Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`),
  );
  return { files: [...files, manifestFile] };
}

/**
 * Writes rendered files into `dir` (made if missing). Each is written under a temporary name and
 * renamed: a reader never sees half a file, and a run that dies leaves no file with the final name.
 */
export async function writeFiles(
  files: Array<{ name: string; content: Buffer }>,
  dir: string,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
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
