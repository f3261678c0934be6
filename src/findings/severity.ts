/** Warden's one severity scale, most severe first. Security Hub labels and Warden's checks map onto it. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'informational'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Security Hub's Severity.Label, or its deprecated Normalized score (0–100), to Warden's scale. */
export function severityFromSecurityHub(
  severity: { Label?: string | undefined; Normalized?: number | undefined } | undefined,
): Severity {
  const label = severity?.Label?.toLowerCase();
  if (label && (SEVERITIES as readonly string[]).includes(label)) return label as Severity;
  const n = severity?.Normalized ?? 0;
  if (n >= 90) return 'critical';
  if (n >= 70) return 'high';
  if (n >= 40) return 'medium';
  if (n >= 1) return 'low';
  return 'informational';
}
