/**
 * The ids of Warden's own checks (src/collect/checks): what their results are stored under
 * (`control_results.control_id`) and what a framework's mapping file names in `checks`.
 */
export const WARDEN_CHECK_IDS = [
  'root-access-keys',
  'root-mfa',
  'root-recent-use',
  'console-user-without-mfa',
  'access-key-not-rotated',
  'unused-credentials',
  'multiple-active-keys',
  'password-policy-weak',
] as const;

export type WardenCheckId = (typeof WARDEN_CHECK_IDS)[number];

/** What a Warden check's findings carry as `GeneratorId`: `warden/root-access-keys`. */
export const WARDEN_GENERATOR = 'warden/';

/**
 * The check of the findings an access review's revocation opens (`warden/access-review-revoked`):
 * one per credential to take away, which the credential playbooks remove.
 */
export const REVOKED_CHECK = 'access-review-revoked';
