import type { Config } from '../config.js';
import type { Finding } from '../db/schema.js';
import type { Playbook } from './playbook.js';
import { cisPasswordPolicy } from './playbooks/cis-password-policy.js';
import { deactivateAccessKey } from './playbooks/deactivate-access-key.js';
import { deleteAccessKey } from './playbooks/delete-access-key.js';
import { removeConsolePassword } from './playbooks/remove-console-password.js';
import { resolveSecurityHubFinding } from './playbooks/resolve-securityhub-finding.js';

/** Every playbook Warden offers, by id (sorted): the one list the request flow and deploy/ are checked against. */
export const PLAYBOOKS: ReadonlyMap<string, Playbook> = new Map(
  (
    [
      cisPasswordPolicy,
      deactivateAccessKey,
      deleteAccessKey,
      removeConsolePassword,
      resolveSecurityHubFinding,
    ] as Playbook[]
  ).map((p) => [p.id, p]),
);

/** The playbooks that can fix this finding, reversible ones first. */
export function playbooksFor(finding: Finding, config: Config): Playbook[] {
  if (finding.status === 'resolved') return [];
  return [...PLAYBOOKS.values()]
    .filter((p) => p.appliesTo(finding, config))
    .sort((a, b) => Number(b.reversible) - Number(a.reversible) || a.id.localeCompare(b.id));
}
