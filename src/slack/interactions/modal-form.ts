import type { AckFn, ViewOutput, ViewResponseAction } from '@slack/bolt';
import { recordDenial } from '../../workflow/denials.js';
import type { HandlerDeps } from '../app.js';
import { REMEDIATION_FIELDS } from '../blocks/remediation.js';
import type { ClickOrigin } from './finding-action.js';
import { tell } from './tell.js';

/**
 * What a modal opened from a click carries back on submission: the id of what it is about, and the
 * response_url of the message clicked (a modal's submission has none of its own), so the answer can
 * replace or follow that message.
 */
export interface ModalMetadata {
  id: number;
  r?: string;
}

export const modalMetadata = (id: number, responseUrl: string | undefined): string =>
  JSON.stringify({ id, ...(responseUrl ? { r: responseUrl } : {}) });

/** The metadata as Warden wrote it, or undefined for anything else. */
export function readModalMetadata(raw: string | undefined): ModalMetadata | undefined {
  try {
    const m = JSON.parse(raw ?? '') as ModalMetadata;
    return Number.isInteger(m.id) && (m.r === undefined || typeof m.r === 'string') ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A submitted form whose metadata Warden did not write (forged, or from a form Warden never opened):
 * refused and audited like a button Warden never drew, and the person is told nothing was done.
 */
export async function refuseForm(
  deps: Pick<HandlerDeps, 'db' | 'web'>,
  origin: ClickOrigin,
  form: string,
): Promise<void> {
  await recordDenial(deps.db, {
    actor: origin.userId,
    attempted: `form ${form.slice(0, 200)}`,
    subject: 'slack:view',
    reason: 'Warden did not draw this form',
  });
  await tell(deps, origin, ':no_entry: That form is not one Warden drew; nothing was done.');
}

/**
 * A modal's required reason: when it is blank, the modal shows the error on the field and stays
 * open (and undefined is returned); otherwise the modal closes and the reason is returned.
 */
export async function takeReason(
  ack: AckFn<ViewResponseAction>,
  view: ViewOutput,
): Promise<string | undefined> {
  const reason = (view.state.values[REMEDIATION_FIELDS.reason]?.value?.value ?? '').trim();
  if (!reason) {
    await ack({
      response_action: 'errors',
      errors: { [REMEDIATION_FIELDS.reason]: 'A reason is required.' },
    });
    return undefined;
  }
  await ack();
  return reason;
}
