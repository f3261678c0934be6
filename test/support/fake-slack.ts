import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { slackRejection } from './slack-validation.js';

export interface RecordedCall {
  method: string;
  args: Record<string, unknown>;
  /** When the call arrived (Date.now()): what a benchmark measures answers by. */
  at: number;
}

/** A call Slack would refuse because of what Warden sent (not a programmed trouble), with Slack's answer. */
export interface Refusal extends Omit<RecordedCall, 'at'> {
  error: string;
  messages: string[];
}

/** Slack's answers that mean the caller sent something wrong, rather than something about the workspace. */
const CALLER_MISTAKES = new Set([
  'invalid_arguments',
  'invalid_blocks',
  'invalid_blocks_format',
  'no_text',
  'channel_not_found',
  'message_not_found',
  'not_found',
  'hash_conflict',
  'invalid_trigger_id',
  'invalid_channel',
  'exchanged_trigger_id',
  'missing_argument',
  'file_not_found',
]);

/** A programmed answer: a rate limit (HTTP 429 with Retry-After seconds), or an error Slack reports. */
export type Trouble = { rateLimitedFor: number } | { error: string } | { delayMs: number };

/**
 * A fake Slack Web API on 127.0.0.1: it answers the methods Warden calls, records every call, and is
 * at least as strict as Slack: a payload Slack refuses (a view with inputs and no submit, a title over
 * 24 characters, a block over its limit, a duplicate block_id…) gets Slack's error
 * (`invalid_arguments`, `invalid_blocks`) with Slack's messages; chat.update needs a message that was
 * posted (by channel id, never a user id); views.update a view that was opened, with its current hash;
 * a trigger_id opens one view.
 */
export class FakeSlack {
  readonly calls: RecordedCall[] = [];
  /** Every call refused for what Warden sent; a test harness fails a test that leaves one here. */
  readonly refusals: Refusal[] = [];
  /** Slack user id → email, as users.info reports it. */
  readonly users = new Map<string, string>();
  /** users.info's flags for a user: a guest (`is_restricted`, `is_ultra_restricted`), `deleted`, `is_bot`. */
  readonly userFlags = new Map<
    string,
    Partial<Record<'is_restricted' | 'is_ultra_restricted' | 'deleted' | 'is_bot', boolean>>
  >();
  /** Slack user groups (S… ids) → their members, as usergroups.users.list reports them. */
  readonly userGroups = new Map<string, string[]>();
  /** Files uploaded through files.uploadV2 (getUploadURLExternal, the upload, completeUploadExternal), by id. */
  readonly uploads = new Map<string, Buffer>();
  /** The length each file was announced with (files.getUploadURLExternal), by id. */
  private readonly declared = new Map<string, number>();
  private readonly troubles: Array<{ method: string; trouble: Trouble }> = [];
  private server: Server | undefined;
  url = '';
  private ts = 1_700_000_000;
  /** Messages posted, as `channel id|ts`: what chat.update may edit. */
  private readonly messages = new Set<string>();
  /** Open views by id, with their current hash. */
  private readonly views = new Map<string, string>();
  private readonly usedTriggers = new Set<string>();

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void readBody(req).then(async ({ args, raw }) => {
        const path = req.url ?? '/';
        const method = path.replace(/^\/api\//, '').split('?')[0]!;
        if (method.startsWith('/upload/')) {
          const form = await new Response(raw, {
            headers: { 'content-type': req.headers['content-type'] ?? '' },
          }).formData();
          const file = form.get('body');
          this.uploads.set(method.slice('/upload/'.length), Buffer.from(await (file as Blob).arrayBuffer()));
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('OK');
          return;
        }
        this.calls.push({ method, args, at: Date.now() });
        const i = this.troubles.findIndex((t) => t.method === method);
        const trouble = i >= 0 ? this.troubles.splice(i, 1)[0]!.trouble : undefined;
        if (trouble && 'rateLimitedFor' in trouble) {
          res.writeHead(429, {
            'retry-after': String(trouble.rateLimitedFor),
            'content-type': 'application/json',
          });
          res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
          return;
        }
        if (trouble && 'delayMs' in trouble) await new Promise((r) => setTimeout(r, trouble.delayMs));
        const failed = trouble && 'error' in trouble ? trouble : undefined;
        const body = failed ? { ok: false, error: failed.error } : this.answer(method, args);
        if (!failed && body.ok === false && CALLER_MISTAKES.has(String(body.error))) {
          const messages = (body.response_metadata as { messages?: string[] } | undefined)?.messages ?? [];
          this.refusals.push({ method, args, error: String(body.error), messages });
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The Web API base URL for SLACK_API_URL. */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /** A response_url the fake records posts to. */
  responseUrl(id = 'r1'): string {
    return `${this.url}/response/${id}`;
  }

  /** The next call to `method` meets this trouble (once per call to troubleNext). */
  troubleNext(method: string, trouble: Trouble): void {
    this.troubles.push({ method, trouble });
  }

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Waits until `count` calls to `method` have arrived (slow work answers after the ack). */
  async waitFor(method: string, count = 1, timeoutMs = 5000): Promise<RecordedCall[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.callsTo(method).length < count) {
      if (Date.now() > deadline) throw new Error(`no ${method} call within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.callsTo(method);
  }

  private answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const rejected = slackRejection(method, args);
    if (rejected)
      return { ok: false, error: rejected.error, response_metadata: { messages: rejected.messages } };
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://warden-test.slack.com/',
          team: 'Warden Test',
          user: 'warden',
          team_id: 'T0TEST',
          user_id: 'U0WARDEN',
          bot_id: 'B0WARDEN',
        };
      case 'chat.postMessage':
      case 'chat.postEphemeral': {
        if (!args.text && !args.blocks) return { ok: false, error: 'no_text' };
        const channel = channelIdOf(args.channel);
        if (!channel) return { ok: false, error: 'channel_not_found' };
        const ts = `${this.ts++}.000100`;
        if (method === 'chat.postMessage') this.messages.add(`${channel}|${ts}`);
        return { ok: true, channel, ts };
      }
      case 'chat.update': {
        // Slack's chat.update takes a channel id (a DM's D… id, not the user's U… id) and an existing message.
        const channel = String(args.channel ?? '');
        if (!/^[CGD][A-Z0-9]+$/.test(channel)) return { ok: false, error: 'channel_not_found' };
        if (!this.messages.has(`${channel}|${String(args.ts ?? '')}`))
          return { ok: false, error: 'message_not_found' };
        return { ok: true, channel, ts: args.ts };
      }
      case 'users.info': {
        const id = String(args.user ?? '');
        if (!this.users.has(id)) return { ok: false, error: 'user_not_found' };
        const flags = { deleted: false, is_bot: false, is_restricted: false, is_ultra_restricted: false };
        return {
          ok: true,
          user: { id, ...flags, ...this.userFlags.get(id), profile: { email: this.users.get(id) } },
        };
      }
      case 'usergroups.users.list': {
        if (!args.usergroup) return { ok: false, error: 'invalid_arguments' };
        const members = this.userGroups.get(String(args.usergroup));
        return members ? { ok: true, users: members } : { ok: false, error: 'no_such_subteam' };
      }
      case 'users.lookupByEmail': {
        const email = String(args.email ?? '').toLowerCase();
        const found = [...this.users].find(([, e]) => e.toLowerCase() === email);
        return found
          ? { ok: true, user: { id: found[0], profile: { email: found[1] } } }
          : { ok: false, error: 'users_not_found' };
      }
      case 'files.getUploadURLExternal': {
        // filename and length are required; a length of 0 is `missing_argument` (Slack's method reference).
        const length = Number(args.length);
        if (!args.filename) return { ok: false, error: 'invalid_arguments' };
        if (!Number.isInteger(length) || length <= 0) return { ok: false, error: 'missing_argument' };
        const id = `F${this.uploads.size + this.calls.length}`;
        this.declared.set(id, length);
        return { ok: true, upload_url: `${this.url}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal': {
        // channel_id is an id (a DM's D… id, never a user's U… id or a #name).
        if (args.channel_id !== undefined && !/^[CGD][A-Z0-9]+$/.test(String(args.channel_id)))
          return { ok: false, error: 'invalid_channel' };
        // A thread is a message posted in that channel.
        if (
          args.thread_ts !== undefined &&
          !this.messages.has(`${String(args.channel_id)}|${String(args.thread_ts)}`)
        )
          return { ok: false, error: 'message_not_found' };
        let files: Array<{ id?: unknown }>;
        try {
          files = typeof args.files === 'string' ? JSON.parse(args.files) : (args.files as typeof files);
        } catch {
          return { ok: false, error: 'invalid_arguments' };
        }
        if (!Array.isArray(files) || files.length === 0) return { ok: false, error: 'invalid_arguments' };
        // Each file was asked for and then sent in full (its declared length): Slack's error for a file
        // completed before its bytes arrived is not documented; the fake answers file_not_found.
        for (const f of files) {
          const id = String(f.id ?? '');
          if (!this.declared.has(id) || this.uploads.get(id)?.length !== this.declared.get(id))
            return { ok: false, error: 'file_not_found' };
        }
        return { ok: true, files: files.map((f) => ({ id: f.id })) };
      }
      case 'views.open': {
        const trigger = String(args.trigger_id ?? '');
        if (!trigger) return { ok: false, error: 'invalid_trigger_id' };
        if (this.usedTriggers.has(trigger)) return { ok: false, error: 'exchanged_trigger_id' };
        this.usedTriggers.add(trigger);
        return this.showView(`V${this.ts++}`, args.view);
      }
      case 'views.update': {
        const id = String(args.view_id ?? '');
        const hash = this.views.get(id);
        if (hash === undefined) return { ok: false, error: 'not_found' };
        if (args.hash !== undefined && args.hash !== hash) return { ok: false, error: 'hash_conflict' };
        return this.showView(id, args.view);
      }
      case 'views.publish':
        if (!args.user_id) return { ok: false, error: 'invalid_arguments' };
        return { ok: true, view: { id: `VHOME${String(args.user_id)}`, type: 'home' } };
      default:
        if (method.startsWith('/response/')) return { ok: true };
        return { ok: false, error: 'unknown_method' };
    }
  }

  private showView(id: string, view: unknown): Record<string, unknown> {
    const hash = `${this.ts++}.view`;
    this.views.set(id, hash);
    return { ok: true, view: { ...(view as object), id, hash } };
  }

  /** A view Warden opened, as Slack holds it now (its id and hash are what a submission carries). */
  viewIds(): string[] {
    return [...this.views.keys()];
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

async function readBody(req: IncomingMessage): Promise<{ args: Record<string, unknown>; raw: Buffer }> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  return { args: parseArgs(req.headers['content-type'] ?? '', raw), raw };
}

function parseArgs(contentType: string, raw: Buffer): Record<string, unknown> {
  const text = raw.toString('utf8');
  if (!text || contentType.startsWith('multipart/')) return {};
  if (contentType.includes('json')) return JSON.parse(text) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    // The Web API client form-encodes arrays and objects as JSON strings.
    out[k] = /^[[{]/.test(v) ? JSON.parse(v) : v;
  }
  return out;
}

/**
 * What Slack would say of a payload's blocks (or view), in one line; undefined when Slack would take it.
 * For tests that check a renderer's output without sending it.
 */
export function blockKitProblem(method: string, args: Record<string, unknown>): string | undefined {
  const rejected = slackRejection(method, args);
  return rejected ? `${rejected.error}: ${rejected.messages.join('; ')}` : undefined;
}

/**
 * The channel id Slack posts to: a user id (U…/W…) opens the DM (D…), a name (#security) is looked up
 * (here: a stable made-up C… id); ids pass through. Undefined for nothing.
 */
export function channelIdOf(channel: unknown): string | undefined {
  const c = String(channel ?? '');
  if (!c) return undefined;
  if (/^[UW][A-Z0-9]+$/.test(c)) return `D${c.slice(1)}`;
  if (/^[CGD][A-Z0-9]+$/.test(c)) return c;
  const name = c
    .replace(/^#/, '')
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, '');
  return `C${name || 'X'}`;
}
