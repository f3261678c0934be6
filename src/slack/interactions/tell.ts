import type { HandlerDeps } from '../app.js';
import type { ClickOrigin } from './finding-action.js';

/** Tells one person something: ephemerally where they clicked, or as a direct message (from a modal or the Home tab). */
export async function tell(deps: Pick<HandlerDeps, 'web'>, origin: ClickOrigin, text: string): Promise<void> {
  if (origin.respond) await origin.respond({ response_type: 'ephemeral', replace_original: false, text });
  else await deps.web.chat.postMessage({ channel: origin.userId, text });
}
