import type { ScheduleConfig } from '../config.js';
import type { Window } from '../posture/digest-figures.js';
import { dayKey, isoWeekKey, previousSlot } from '../schedule/slots.js';

const DAY = 86_400_000;

/**
 * The day a daily digest slot reports on: since the digest's previous slot (a weekday-only schedule's
 * Monday digest covers the weekend), and its period key, the slot's date in the configured zone.
 */
export function dailyPeriod(slot: Date, schedule: ScheduleConfig): { period: string; window: Window } {
  const from =
    previousSlot(schedule.cron.dailyDigest, schedule.timezone, new Date(slot.getTime() - 60_000), 8 * DAY) ??
    new Date(slot.getTime() - DAY);
  return { period: dayKey(slot, schedule.timezone), window: { from, to: slot } };
}

/** The week a weekly digest slot reports on: the 7 days before it, named by the ISO week they start in. */
export function weeklyPeriod(slot: Date, schedule: ScheduleConfig): { period: string; window: Window } {
  const from = new Date(slot.getTime() - 7 * DAY);
  return { period: isoWeekKey(from, schedule.timezone), window: { from, to: slot } };
}
