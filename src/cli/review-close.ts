import { userInfo } from 'node:os';
import { withRuntime } from '../runtime.js';
import { closeReview, reviewById } from '../workflow/access-reviews.js';
import { type CommandModule, EXIT, UsageError } from './command.js';

/**
 * `warden review close CAMPAIGN`: ends a campaign. It is no longer followed up (no reminder, no
 * escalation); its undecided items stay in its report as overdue.
 */
export const run: CommandModule['run'] = async (values, { config, io }) => {
  const id = Number(values.campaign);
  if (!values.campaign || !Number.isInteger(id) || id < 1)
    throw new UsageError('name the campaign by its number (warden review close 3)');
  const by = (values.by as string | undefined) ?? `cli:${userInfo().username}`;
  return withRuntime(config, {}, async ({ db, now }) => {
    const review = await reviewById(db, id);
    if (!review) throw new UsageError(`access review #${id} does not exist`);
    await closeReview(db, review, by, now());
    io.stdout(`access review #${id} closed\n`);
    return EXIT.ok;
  });
};
