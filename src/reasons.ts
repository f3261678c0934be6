/** The longest reason Warden stores or prints for a failure (a scan, a target, a job run): one short line. */
export const REASON_MAX_CHARS = 500;

/** A failure's reason as one line of at most REASON_MAX_CHARS characters. */
export function clipReason(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > REASON_MAX_CHARS ? `${line.slice(0, REASON_MAX_CHARS - 1)}…` : line;
}
