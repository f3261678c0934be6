import { userInfo } from 'node:os';
import { enabledStandardIds, standardAlias } from '../posture/compliance.js';
import { complianceScopeNamed, frameworkNamed, standardAsFramework } from '../posture/frameworks.js';
import { writeFiles } from '../report/pack.js';
import { withRuntime } from '../runtime.js';
import { makeEvidencePack } from '../workflow/evidence.js';
import { type CommandModule, EXIT, parseDate, UsageError } from './command.js';

const DAY = 86_400_000;

/**
 * `warden report --standard ID --from DATE --to DATE [--account ID | --ou OU] --output DIR`: the
 * evidence pack of a framework (or of a standard, each control a requirement) for a scope and a
 * period whose days `--from` and `--to` include.
 */
export const run: CommandModule['run'] = async (values, { config, io }) => {
  const id = values.standard as string | undefined;
  const output = values.output as string | undefined;
  if (!id)
    throw new UsageError('--standard is required (a framework id or a standard’s alias: cis-aws-3.0, fsbp)');
  if (!output) throw new UsageError('--output is required (the folder the files go to)');
  if (!values.from || !values.to)
    throw new UsageError('--from and --to are required (the period’s first and last days)');
  const from = parseDate(values.from as string, '--from');
  const to = new Date(parseDate(values.to as string, '--to').getTime() + DAY);
  if (to <= from) throw new UsageError('--to must not be before --from');
  if (values.account && values.ou) throw new UsageError('one of --account and --ou, not both');

  return withRuntime(config, {}, async ({ db, now }) => {
    const standards = await enabledStandardIds(db);
    const named = frameworkNamed(config.frameworks, standards, id);
    if (!named) {
      const known = [...config.frameworks.map((f) => f.id), ...standards.map(standardAlias)].join(', ');
      throw new UsageError(
        `--standard ${id} names no framework or enabled standard (known: ${known || 'none'})`,
      );
    }
    const framework = named.framework ?? (await standardAsFramework(db, named.standard!));
    const where = ((values.account ?? values.ou ?? '') as string).trim();
    const scope = await complianceScopeNamed(db, where);
    if (!scope)
      throw new UsageError(`${values.account ? '--account' : '--ou'} ${where} names no account or OU`);
    if ('ambiguous' in scope)
      throw new UsageError(`--ou ${where} names several OUs: ${scope.ambiguous.join(', ')}; give the path`);
    const generatedBy = (values.by as string | undefined) ?? `${userInfo().username} (warden report)`;
    const { pack, files } = await makeEvidencePack(db, {
      framework,
      scope,
      from,
      to,
      generatedBy,
      actor: `cli:${generatedBy}`,
      now: now(),
    });
    for (const f of await writeFiles(files, output)) io.stdout(`${f}\n`);
    const c = pack.summary.counts;
    io.stderr(
      `${framework.name} ${framework.version}, ${scope.title}: ${c.passed} passed, ${c.failed} failed, ${c.unknown} unknown, ${c['no-data']} without data, ${c.manual} manual requirements\n`,
    );
    return EXIT.ok;
  });
};
