/** Keys whose values are secrets wherever they appear (AWS credentials, Slack tokens, passwords). */
const SECRET_KEY = /secret|token|password|passwd|credential|authorization|signature|private.?key/i;

export const REDACTED = '[redacted]';

/**
 * A JSON-safe deep copy of `value` with every secret-looking field replaced by "[redacted]".
 * Dates become ISO strings and undefined fields disappear, exactly as they would in jsonb.
 */
export function scrubSecrets<T>(value: T): T {
  const plain = JSON.parse(JSON.stringify(value ?? null)) as unknown;
  return scrub(plain) as T;
}

function scrub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrub);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && v !== null ? REDACTED : scrub(v)]),
    );
  }
  return value;
}
