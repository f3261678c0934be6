/** An error's message and the messages of its causes (drizzle wraps driver errors), joined. */
export function fullMessage(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.message) parts.push(e.message);
  }
  return parts.join(' ← ');
}

/** Runs `work`, expects it to fail, and returns the full message. */
export async function failure(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
  } catch (err) {
    return fullMessage(err);
  }
  throw new Error('expected the operation to fail, but it succeeded');
}
