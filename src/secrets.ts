/** Keys whose values are secrets wherever they appear (AWS credentials, Slack tokens, passwords). */
const SECRET_KEY = /secret|token|password|passwd|credential|authorization|signature|private.?key/i;

export const REDACTED = '[redacted]';

/**
 * `value` with every secret-named field, at any depth, replaced by "[redacted]": plain objects and
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
      SECRET_KEY.test(k) && v !== null && v !== undefined ? REDACTED : redactSecrets(v, seen),
    ]),
  );
}
