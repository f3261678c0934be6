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
  optionText: 75,
  optionValue: 150,
  placeholder: 150,
  plainTextInputMaxLength: 3000,
  inputLabel: 2000,
  inputHint: 2000,
  /** Top-level `text` is truncated by Slack past this; Warden keeps the fallback much shorter. */
  messageText: 40_000,
} as const;

/** A modal's own limits (docs.slack.dev/reference/views/modal-views): what views.open and views.update refuse. */
export const VIEW = {
  title: 24,
  submit: 24,
  close: 24,
  callbackId: 255,
  privateMetadata: 3000,
} as const;

/**
 * `chat.postMessage`'s rate (Special tier): "generally one message per second per channel", short
 * bursts allowed (FACTS.md §6). Alerts keep to it in every channel, across replicas on PostgreSQL.
 */
export const POST_MESSAGE_PER_CHANNEL = { ratePerSecond: 1, burst: 3 } as const;
