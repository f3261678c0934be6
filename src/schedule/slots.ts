import { createTask } from 'node-cron';

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * The latest time at or before `before` that a five-field cron expression names, in `timezone`,
 * looking back at most `lookBackMs`; undefined when none falls in that span. (node-cron computes
 * next runs only; this walks back a minute at a time with its own matcher.)
 */
export function previousSlot(
  expression: string,
  timezone: string,
  before: Date,
  lookBackMs: number,
): Date | undefined {
  const task = createTask(expression, () => {}, { timezone });
  try {
    const start = Math.floor(before.getTime() / MINUTE) * MINUTE;
    for (let t = start; t >= before.getTime() - lookBackMs; t -= MINUTE) {
      if (task.match(new Date(t))) return new Date(t);
    }
    return undefined;
  } finally {
    void task.destroy();
  }
}

/** A date's calendar day in a time zone, as YYYY-MM-DD. */
export function dayKey(at: Date, timezone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

/** A date's ISO 8601 week in a time zone, as YYYY-Www (weeks start on Monday; week 1 holds the first Thursday). */
export function isoWeekKey(at: Date, timezone: string): string {
  const [y, m, d] = dayKey(at, timezone).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  const weekday = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - weekday); // the Thursday of this week decides its year
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((date.getTime() - yearStart) / DAY + 1) / 7);
  return `${date.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}
