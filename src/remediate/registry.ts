import type { Playbook, PlaybookTarget } from './playbook.js';
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

/** The playbooks that can fix this finding (none once it is resolved), reversible ones first. */
export function playbooksFor(finding: PlaybookTarget & { status: string }): Playbook[] {
  if (finding.status === 'resolved') return [];
  return [...PLAYBOOKS.values()]
    .filter((p) => p.appliesTo(finding))
    .sort((a, b) => Number(b.reversible) - Number(a.reversible) || a.id.localeCompare(b.id));
}
