/**
 * PostgreSQL advisory-lock keys, one place for all of them so two features never share a key by accident.
 * Each is "WARD" in ASCII followed by a feature number (kept below 2^53 so JavaScript holds it exactly).
 */
export const LOCKS = {
  /** Held while migrations are applied (session-level) and the runtime role granted (transaction-level). */
  migrations: 0x5741_5244_01,
  // 0x5741_5244_02 ordered audit appends until the chain's head row (audit_chain_head) took over.
} as const;
