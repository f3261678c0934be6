import { redactSecrets } from '../secrets.js';

export { REDACTED } from '../secrets.js';

/**
 * A JSON-safe deep copy of `value` with every secret-looking field replaced by "[redacted]".
 * Dates become ISO strings and undefined fields disappear, exactly as they would in jsonb.
 */
export function scrubSecrets<T>(value: T): T {
  return redactSecrets(JSON.parse(JSON.stringify(value ?? null))) as T;
}
