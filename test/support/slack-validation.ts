import { BLOCK_KIT, VIEW } from '../../src/slack/limits.js';

/**
 * What Slack's Web API answers to a message or a view it refuses: `invalid_blocks` for a message's
 * blocks, `invalid_arguments` for a view, each with `response_metadata.messages` in Slack's own form
 * (`[ERROR] must be less than 25 characters [json-pointer:/view/title/text]`). The checks are the
 * documented ones (docs.slack.dev: Block Kit blocks and elements, modal views; FACTS.md §6 and §8);
 * where Slack's exact wording is not documented the wording follows the answers Slack is reported to
 * give for the same family of mistakes.
 */
export interface SlackRejection {
  error: string;
  messages: string[];
}

type Json = Record<string, unknown>;

const err = (text: string, pointer: string) => `[ERROR] ${text} [json-pointer:${pointer}]`;
const tooLong = (limit: number, pointer: string) => err(`must be less than ${limit + 1} characters`, pointer);
const textOf = (t: unknown) => (t as { text?: unknown } | undefined)?.text;

/** Checks a text object: present when required, of an allowed type, within `max` characters. */
function checkText(
  out: string[],
  t: unknown,
  pointer: string,
  max: number,
  options: { plainOnly?: boolean; required?: boolean; min?: number } = {},
): void {
  if (t === undefined) {
    if (options.required) out.push(err('must provide an object', pointer));
    return;
  }
  const type = (t as { type?: unknown }).type;
  if (type !== 'plain_text' && (options.plainOnly || type !== 'mrkdwn')) {
    out.push(err(`must be a ${options.plainOnly ? 'plain_text' : 'text'} object`, `${pointer}/type`));
    return;
  }
  const text = textOf(t);
  if (typeof text !== 'string') out.push(err('must provide a string', `${pointer}/text`));
  else if (text.length < (options.min ?? 1))
    out.push(err('must be more than 0 characters', `${pointer}/text`));
  else if (text.length > max) out.push(tooLong(max, `${pointer}/text`));
}

function checkLength(out: string[], value: unknown, max: number, pointer: string): void {
  if (typeof value === 'string' && value.length > max) out.push(tooLong(max, pointer));
}

function checkOption(out: string[], o: Json, pointer: string): void {
  checkText(out, o.text, `${pointer}/text`, BLOCK_KIT.optionText, { required: true });
  checkLength(out, o.value, BLOCK_KIT.optionValue, `${pointer}/value`);
}

function checkElement(out: string[], e: Json, pointer: string): void {
  checkLength(out, e.action_id, BLOCK_KIT.actionId, `${pointer}/action_id`);
  if (e.confirm) {
    const c = e.confirm as Json;
    checkText(out, c.title, `${pointer}/confirm/title`, BLOCK_KIT.confirmTitle, {
      plainOnly: true,
      required: true,
    });
    checkText(out, c.text, `${pointer}/confirm/text`, BLOCK_KIT.confirmText, { required: true });
    checkText(out, c.confirm, `${pointer}/confirm/confirm`, BLOCK_KIT.confirmButton, { plainOnly: true });
    checkText(out, c.deny, `${pointer}/confirm/deny`, BLOCK_KIT.confirmButton, { plainOnly: true });
  }
  if (e.placeholder !== undefined)
    checkText(out, e.placeholder, `${pointer}/placeholder`, BLOCK_KIT.placeholder, { plainOnly: true });
  switch (e.type) {
    case 'button':
      checkText(out, e.text, `${pointer}/text`, BLOCK_KIT.buttonText, { plainOnly: true, required: true });
      checkLength(out, e.value, BLOCK_KIT.buttonValue, `${pointer}/value`);
      checkLength(out, e.url, BLOCK_KIT.buttonUrl, `${pointer}/url`);
      break;
    case 'static_select': {
      const options = (e.options as Json[] | undefined) ?? [];
      if (options.length === 0) out.push(err('must provide at least 1 items', `${pointer}/options`));
      if (options.length > BLOCK_KIT.staticSelectOptions)
        out.push(err(`no more than ${BLOCK_KIT.staticSelectOptions} items allowed`, `${pointer}/options`));
      for (const [i, o] of options.entries()) checkOption(out, o, `${pointer}/options/${i}`);
      const initial = e.initial_option as Json | undefined;
      if (initial && !options.some((o) => o.value === initial.value))
        out.push(err('must match one of the options', `${pointer}/initial_option`));
      break;
    }
    case 'plain_text_input':
      if (typeof e.max_length === 'number' && e.max_length > BLOCK_KIT.plainTextInputMaxLength)
        out.push(err(`must be less than ${BLOCK_KIT.plainTextInputMaxLength + 1}`, `${pointer}/max_length`));
      break;
  }
}

/** Every problem in a list of blocks, as Slack's messages. */
export function blockProblems(blocks: Json[], base: string, max: number): string[] {
  const out: string[] = [];
  if (blocks.length > max) out.push(err(`no more than ${max} items allowed`, base));
  const blockIds = new Set<string>();
  for (const [i, b] of blocks.entries()) {
    const at = `${base}/${i}`;
    if (typeof b.block_id === 'string') {
      checkLength(out, b.block_id, BLOCK_KIT.blockId, `${at}/block_id`);
      if (blockIds.has(b.block_id)) out.push(err(`duplicate block_id "${b.block_id}"`, `${at}/block_id`));
      blockIds.add(b.block_id);
    }
    const elements = (b.elements as Json[] | undefined) ?? [];
    switch (b.type) {
      case 'header':
        checkText(out, b.text, `${at}/text`, BLOCK_KIT.headerText, { plainOnly: true, required: true });
        break;
      case 'section': {
        const fields = (b.fields as unknown[] | undefined) ?? [];
        if (b.text === undefined && fields.length === 0)
          out.push(err('must provide text or fields', `${at}`));
        checkText(out, b.text, `${at}/text`, BLOCK_KIT.sectionText);
        if (fields.length > BLOCK_KIT.sectionFields)
          out.push(err(`no more than ${BLOCK_KIT.sectionFields} items allowed`, `${at}/fields`));
        for (const [j, f] of fields.entries())
          checkText(out, f, `${at}/fields/${j}`, BLOCK_KIT.sectionFieldText);
        if (b.accessory) checkElement(out, b.accessory as Json, `${at}/accessory`);
        break;
      }
      case 'context':
        if (elements.length > BLOCK_KIT.contextElements)
          out.push(err(`no more than ${BLOCK_KIT.contextElements} items allowed`, `${at}/elements`));
        for (const [j, e] of elements.entries())
          if (e.type !== 'image') checkText(out, e, `${at}/elements/${j}`, BLOCK_KIT.sectionText);
        break;
      case 'actions': {
        if (elements.length > BLOCK_KIT.actionsElements)
          out.push(err(`no more than ${BLOCK_KIT.actionsElements} items allowed`, `${at}/elements`));
        const actionIds = new Set<string>();
        for (const [j, e] of elements.entries()) {
          checkElement(out, e, `${at}/elements/${j}`);
          if (typeof e.action_id !== 'string') continue;
          if (actionIds.has(e.action_id))
            out.push(err(`duplicate action_id "${e.action_id}"`, `${at}/elements/${j}/action_id`));
          actionIds.add(e.action_id);
        }
        break;
      }
      case 'input':
        checkText(out, b.label, `${at}/label`, BLOCK_KIT.inputLabel, { plainOnly: true, required: true });
        if (b.hint !== undefined)
          checkText(out, b.hint, `${at}/hint`, BLOCK_KIT.inputHint, { plainOnly: true });
        if (!b.element) out.push(err('must provide an object', `${at}/element`));
        else checkElement(out, b.element as Json, `${at}/element`);
        break;
      case 'divider':
      case 'image':
        break;
      default:
        out.push(err(`unsupported type "${String(b.type)}"`, `${at}/type`));
    }
  }
  return out;
}

/** What Slack says of a modal or Home tab view, or nothing when it would take it. */
export function viewProblems(method: string, given: object | undefined): string[] {
  if (!given || typeof given !== 'object') return [err('must provide an object', '/view')];
  const view = given as Json;
  const out: string[] = [];
  const blocks = (view.blocks as Json[] | undefined) ?? [];
  if (method === 'views.publish' && view.type !== 'home')
    out.push(err('must be "home" for views.publish', '/view/type'));
  if (method !== 'views.publish' && view.type !== 'modal') out.push(err('must be "modal"', '/view/type'));
  if (view.type === 'modal') {
    checkText(out, view.title, '/view/title', VIEW.title, { plainOnly: true, required: true });
    checkText(out, view.submit, '/view/submit', VIEW.submit, { plainOnly: true });
    checkText(out, view.close, '/view/close', VIEW.close, { plainOnly: true });
    const input = blocks.findIndex((b) => b.type === 'input');
    if (input >= 0 && !view.submit)
      out.push(err('must define `submit` to use `input` block', `/view/blocks/${input}/input`));
  }
  checkLength(out, view.callback_id, VIEW.callbackId, '/view/callback_id');
  checkLength(out, view.private_metadata, VIEW.privateMetadata, '/view/private_metadata');
  out.push(...blockProblems(blocks, '/view/blocks', BLOCK_KIT.blocksPerView));
  return out;
}

/**
 * How Slack refuses a call's payload, before any state is looked at: the blocks of a message, a view.
 * Undefined when Slack would take it.
 */
export function slackRejection(method: string, args: Json): SlackRejection | undefined {
  if (method.startsWith('views.')) {
    const messages = viewProblems(method, args.view as Json | undefined);
    return messages.length ? { error: 'invalid_arguments', messages } : undefined;
  }
  const blocks = args.blocks as Json[] | undefined;
  if (!blocks) return undefined;
  if (!Array.isArray(blocks)) return { error: 'invalid_blocks_format', messages: [] };
  const messages = blockProblems(blocks, '/blocks', BLOCK_KIT.blocksPerMessage);
  return messages.length ? { error: 'invalid_blocks', messages } : undefined;
}
