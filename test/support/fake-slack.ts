import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BLOCK_KIT } from '../../src/slack/limits.js';

export interface RecordedCall {
  method: string;
  args: Record<string, unknown>;
}

/**
 * A fake Slack Web API on 127.0.0.1: it answers the methods Warden calls, records every call, and
 * rejects (`invalid_blocks`) any payload that breaks a Block Kit limit, as Slack would.
 */
/** A programmed answer: a rate limit (HTTP 429 with Retry-After seconds), or an error Slack reports. */
export type Trouble = { rateLimitedFor: number } | { error: string };

export class FakeSlack {
  readonly calls: RecordedCall[] = [];
  /** Slack user id → email, as users.info reports it. */
  readonly users = new Map<string, string>();
  /** Files uploaded through files.uploadV2 (getUploadURLExternal, the upload, completeUploadExternal), by id. */
  readonly uploads = new Map<string, Buffer>();
  private readonly troubles: Array<{ method: string; trouble: Trouble }> = [];
  private server: Server | undefined;
  url = '';
  private ts = 1_700_000_000;

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
        this.calls.push({ method, args });
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
        const body = trouble ? { ok: false, error: trouble.error } : this.answer(method, args);
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
    const problem = blockKitProblem(method, args);
    if (problem) return { ok: false, error: 'invalid_blocks', errors: [problem] };
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
      case 'chat.postEphemeral':
      case 'chat.update':
        return { ok: true, channel: args.channel ?? 'C0TEST', ts: String(args.ts ?? `${this.ts++}.000100`) };
      case 'users.info': {
        const id = String(args.user ?? '');
        if (!this.users.has(id)) return { ok: false, error: 'user_not_found' };
        return { ok: true, user: { id, profile: { email: this.users.get(id) } } };
      }
      case 'users.lookupByEmail': {
        const email = String(args.email ?? '').toLowerCase();
        const found = [...this.users].find(([, e]) => e.toLowerCase() === email);
        return found
          ? { ok: true, user: { id: found[0], profile: { email: found[1] } } }
          : { ok: false, error: 'users_not_found' };
      }
      case 'files.getUploadURLExternal': {
        const id = `F${this.uploads.size + this.calls.length}`;
        return { ok: true, upload_url: `${this.url}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal':
        return { ok: true, files: args.files };
      case 'views.publish':
      case 'views.open':
      case 'views.update':
        return { ok: true, view: { id: 'V0TEST' } };
      default:
        if (method.startsWith('/response/')) return { ok: true };
        return { ok: false, error: 'unknown_method' };
    }
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

type AnyBlock = Record<string, unknown>;

/** The first Block Kit limit a payload breaks, or undefined. */
export function blockKitProblem(method: string, args: Record<string, unknown>): string | undefined {
  const view = args.view as { blocks?: AnyBlock[] } | undefined;
  const blocks = (view?.blocks ?? args.blocks) as AnyBlock[] | undefined;
  if (!blocks) return undefined;
  const max = method.startsWith('views.') ? BLOCK_KIT.blocksPerView : BLOCK_KIT.blocksPerMessage;
  if (blocks.length > max) return `${blocks.length} blocks (at most ${max})`;
  const text = (t: unknown) => (t as { text?: string } | undefined)?.text ?? '';
  for (const [i, b] of blocks.entries()) {
    const where = `block ${i} (${String(b.type)})`;
    if (typeof b.block_id === 'string' && b.block_id.length > BLOCK_KIT.blockId)
      return `${where}: block_id too long`;
    if (b.type === 'header' && text(b.text).length > BLOCK_KIT.headerText)
      return `${where}: header over ${BLOCK_KIT.headerText}`;
    if (b.type === 'section') {
      const t = text(b.text);
      if (b.text && (t.length < 1 || t.length > BLOCK_KIT.sectionText))
        return `${where}: text length ${t.length}`;
      const fields = (b.fields as unknown[] | undefined) ?? [];
      if (fields.length > BLOCK_KIT.sectionFields) return `${where}: ${fields.length} fields`;
      if (fields.some((f) => text(f).length > BLOCK_KIT.sectionFieldText)) return `${where}: field too long`;
    }
    const elements = (b.elements as AnyBlock[] | undefined) ?? [];
    if (b.type === 'actions' && elements.length > BLOCK_KIT.actionsElements)
      return `${where}: ${elements.length} elements`;
    for (const e of [...elements, ...(b.accessory ? [b.accessory as AnyBlock] : [])]) {
      if (e.type !== 'button') continue;
      if (text(e.text).length > BLOCK_KIT.buttonText) return `${where}: button text too long`;
      if (typeof e.value === 'string' && e.value.length > BLOCK_KIT.buttonValue)
        return `${where}: button value too long`;
      if (typeof e.action_id === 'string' && e.action_id.length > BLOCK_KIT.actionId)
        return `${where}: action_id too long`;
      if (typeof e.url === 'string' && e.url.length > BLOCK_KIT.buttonUrl)
        return `${where}: button url too long`;
    }
  }
  return undefined;
}
