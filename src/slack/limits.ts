/**
 * Slack's Block Kit and message limits, in one place (FACTS.md §6, @slack/types 3.0.0 and
 * docs.slack.dev). Every renderer keeps them; the fake Web API in test/support rejects payloads
 * that break them.
 */
export const BLOCK_KIT = {
  blocksPerMessage: 50,
  blocksPerView: 100,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  actionId: 255,
  blockId: 255,
  staticSelectOptions: 100,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** Top-level `text` is truncated by Slack past this; Warden keeps the fallback much shorter. */
  messageText: 40_000,
} as const;

/** Slack asks for an acknowledgement within 3 seconds; slower work answers afterwards. */
export const ACK_DEADLINE_MS = 3000;
/** A slash command's response_url takes at most 5 posts within 30 minutes. */
export const RESPONSE_URL_USES = 5;
/** Requests whose timestamp is older than this are rejected as replays. */
export const REQUEST_MAX_AGE_SECONDS = 300;
