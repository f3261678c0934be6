import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { EXPORT_FORMATS, type ExportFormat, exportAudit } from '../audit/export.js';
import { withRuntime } from '../runtime.js';
import { type CommandModule, EXIT, parseDate, UsageError } from './command.js';

export const run: CommandModule['run'] = async (values, { config, io }) => {
  const format = values.format as string;
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}`);
  }
  const since = values.since === undefined ? undefined : parseDate(values.since as string, '--since');
  return withRuntime(config, {}, async ({ db }) => {
    const file = values.output ? createWriteStream(values.output as string) : undefined;
    const write = file
      ? async (chunk: string) => {
          if (!file.write(chunk)) await once(file, 'drain');
        }
      : io.stdout;
    try {
      const count = await exportAudit(
        db,
        { format: format as ExportFormat, ...(since ? { since } : {}) },
        write,
      );
      if (file) io.stderr(`exported ${count} events to ${values.output}\n`);
    } finally {
      if (file)
        await new Promise<void>((resolve, reject) =>
          file.end((err?: Error | null) => (err ? reject(err) : resolve())),
        );
    }
    return EXIT.ok;
  });
};
