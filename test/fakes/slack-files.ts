import type { SlackAnswer } from './slack-workspace.js';

/**
 * Slack's external file upload as `files.uploadV2` drives it (docs.slack.dev/reference/methods/
 * files.getUploadURLExternal): `files.getUploadURLExternal` (filename, length) answers an `upload_url`
 * and a `file_id`; the bytes are POSTed to that URL, raw or multipart-encoded; then
 * `files.completeUploadExternal` (files: [{ id, title }], channel_id, thread_ts) shares the file.
 * The upload URL points back at the stand-in, which keeps the bytes for tests to read.
 */
export interface StoredFile {
  id: string;
  filename: string;
  /** The length declared to getUploadURLExternal. */
  length: number;
  /** What arrived at the upload URL; null until then. */
  bytes: Buffer | null;
  /** raw, or multipart (the client's FormData). */
  encoding: 'raw' | 'multipart' | null;
  title: string | null;
  channel: string | null;
  threadTs: string | null;
  completed: boolean;
}

const fail = (error: string): SlackAnswer => ({ ok: false, error });

function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

export class SlackFiles {
  private readonly files = new Map<string, StoredFile>();
  private seq = 0;

  constructor(private readonly uploadUrl: (fileId: string) => string) {}

  all(): StoredFile[] {
    return [...this.files.values()].map((f) => ({ ...f }));
  }

  get(id: string): StoredFile | undefined {
    const f = this.files.get(id);
    return f ? { ...f } : undefined;
  }

  /** The files.* Web API methods; undefined for any other method. */
  answer(method: string, p: Record<string, unknown>): SlackAnswer | undefined {
    switch (method) {
      case 'files.getUploadURLExternal':
        return this.getUploadUrl(p);
      case 'files.completeUploadExternal':
        return this.complete(p);
      default:
        return undefined;
    }
  }

  /** A POST to an upload URL: 200 `OK - <bytes>` as Slack answers, 404 for a URL it never handed out. */
  async receive(fileId: string, raw: Buffer, contentType: string | undefined): Promise<{ status: number; body: string }> {
    const f = this.files.get(fileId);
    if (!f) return { status: 404, body: 'Not Found' };
    if ((contentType ?? '').toLowerCase().startsWith('multipart/form-data')) {
      const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType! } }).formData();
      const part = [...form.values()].find((v): v is File => typeof v !== 'string');
      if (!part) return { status: 400, body: 'no file part' };
      f.bytes = Buffer.from(await part.arrayBuffer());
      f.encoding = 'multipart';
    } else {
      f.bytes = raw;
      f.encoding = 'raw';
    }
    return { status: 200, body: `OK - ${f.bytes.length}` };
  }

  private getUploadUrl(p: Record<string, unknown>): SlackAnswer {
    const filename = str(p.filename);
    const length = Number(p.length);
    if (!filename || !Number.isInteger(length) || length < 0) return fail('invalid_arguments');
    const id = `F${String(++this.seq).padStart(9, '0')}`;
    this.files.set(id, { id, filename, length, bytes: null, encoding: null, title: null, channel: null, threadTs: null, completed: false });
    return { ok: true, upload_url: this.uploadUrl(id), file_id: id };
  }

  private complete(p: Record<string, unknown>): SlackAnswer {
    const list = Array.isArray(p.files) ? (p.files as Array<{ id?: unknown; title?: unknown }>) : undefined;
    if (!list?.length) return fail('invalid_arguments');
    const found: StoredFile[] = [];
    for (const entry of list) {
      const f = typeof entry.id === 'string' ? this.files.get(entry.id) : undefined;
      if (!f || f.bytes === null) return fail('file_not_found');
      found.push(f);
    }
    const channel = str(p.channel_id) ?? null;
    const threadTs = str(p.thread_ts) ?? null;
    if (threadTs !== null && channel === null) return fail('invalid_arguments');
    for (const [i, f] of found.entries()) {
      f.title = str(list[i]!.title) ?? f.filename;
      f.channel = channel;
      f.threadTs = threadTs;
      f.completed = true;
    }
    return { ok: true, files: found.map((f) => ({ id: f.id, name: f.filename, title: f.title, size: f.bytes!.length, channels: channel ? [channel] : [] })) };
  }
}
