/** Keys whose values are secrets wherever they appear (AWS credentials, Slack tokens, passwords). */
const SECRET_KEY = /secret|token|password|passwd|credential|authorization|signature|private.?key/i;

export const REDACTED = '[redacted]';

/**
 * `value` with every secret-named field, at any depth, replaced by "[redacted]" (unless it holds a
 * number or a flag: `MinimumPasswordLength: 14` is a setting, not a secret): plain objects and
 * arrays are copied, anything else (an error, a date, a buffer) is kept as it is, and a cycle ends
 * the copy where it closes.
 */
export function redactSecrets(value: unknown, seen: WeakSet<object> = new WeakSet()): unknown {
  if (!value || typeof value !== 'object') return value;
  const plain = Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype;
  if (!plain || seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, seen));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      SECRET_KEY.test(k) && mayHoldSecret(v) ? REDACTED : redactSecrets(v, seen),
    ]),
  );
}

/** Text or a structure may hold a secret; a number, a flag or nothing does not. */
const mayHoldSecret = (v: unknown) => typeof v === 'string' || (typeof v === 'object' && v !== null);
