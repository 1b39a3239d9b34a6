import { LogLevel, WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsoleChat } from '../../src/adapters/chat/console/console-chat.js';
import { SlackChat } from '../../src/adapters/chat/slack/slack-chat.js';
import { message } from '../../src/core/message.js';
import type { ChatFile } from '../../src/core/ports.js';
import { Notifier } from '../../src/engine/chat/notifier.js';
import { SlackApiStandIn } from '../fakes/slack-api.js';
import { messageText, RecordingChat } from '../fakes/recording-chat.js';
import { RecordingLog } from '../fakes/recording-log.js';

const CHANNEL = 'C0CHAOS';
const content = '# Game-day report: Checkout survives losing replicas — gd-1a2b3c\n\nÜmlauts, emoji 📎 and | pipes survive.\n';
const file: ChatFile = {
  path: '/srv/faultline/data/postmortems/gd-1a2b3c-gameday-report.md',
  filename: 'gd-1a2b3c-gameday-report.md',
  title: 'Game-day report: Checkout survives losing replicas (gd-1a2b3c)',
  content,
};

let api: SlackApiStandIn;
let log: RecordingLog;
beforeEach(async () => {
  api = await SlackApiStandIn.start();
  log = new RecordingLog();
});
afterEach(async () => {
  await api.close();
});

const slackChat = () =>
  new SlackChat(new WebClient('xoxb-test', { slackApiUrl: api.url, logLevel: LogLevel.ERROR, retryConfig: { retries: 0 } }), { maxRateLimitWaitMs: 5000, log });
const clock = { now: () => Date.now() };

describe('file upload into the thread', () => {
  it('Slack: files.uploadV2 through the real client — bytes, filename, title, channel and thread arrive', async () => {
    const chat = slackChat();
    const card = await chat.post(CHANNEL, message({ title: 'Game day gd-1a2b3c' }));
    await chat.upload(card, file);

    const [stored, ...more] = api.uploadedFiles();
    expect(more).toHaveLength(0);
    expect(stored!.bytes!.equals(Buffer.from(content, 'utf8'))).toBe(true);
    expect(stored).toMatchObject({ filename: file.filename, title: file.title, channel: CHANNEL, threadTs: card.ts, completed: true, length: Buffer.byteLength(content) });
    // The three legs of the wire protocol, in order, with the token on the Web API calls.
    const methods = api.calls.map((c) => c.method).filter((m) => m !== 'chat.postMessage');
    expect(methods).toEqual(['files.getUploadURLExternal', 'upload', 'files.completeUploadExternal']);
    expect(api.callsTo('files.getUploadURLExternal', 'ok')[0]).toMatchObject({ token: 'xoxb-test', params: { filename: file.filename, length: String(Buffer.byteLength(content)) } });
    // @slack/web-api sends the bytes multipart-encoded (Slack takes raw bytes too; the stand-in reads both).
    expect(stored!.encoding).toBe('multipart');
    expect(api.callsTo('files.completeUploadExternal', 'ok')[0]!.params).toMatchObject({ channel_id: CHANNEL, thread_ts: card.ts, files: [{ id: stored!.id, title: file.title }] });
  });

  it('Slack: a missing_scope answer rejects as an adapter_error', async () => {
    const chat = slackChat();
    const card = await chat.post(CHANNEL, message({ title: 'card' }));
    api.failNext('files.getUploadURLExternal', 'missing_scope');
    await expect(chat.upload(card, file)).rejects.toMatchObject({ code: 'adapter_error', message: expect.stringContaining('missing_scope') });
    expect(api.uploadedFiles()).toHaveLength(0);
  });

  it('Notifier: uploads into the card thread once the card is posted, with no fallback reply', async () => {
    const notifier = new Notifier(slackChat(), clock, log, 1000);
    const card = notifier.postCard('gd-1a2b3c', CHANNEL, message({ title: 'Game day gd-1a2b3c' }));
    notifier.upload('gd-1a2b3c', null, CHANNEL, file); // queued behind the post: the ref is resolved at its turn
    await notifier.flush();
    const ref = (await card)!;
    expect(api.uploadedFiles()[0]).toMatchObject({ channel: CHANNEL, threadTs: ref.ts, completed: true });
    expect(api.messagesIn(CHANNEL).filter((m) => m.thread_ts === ref.ts)).toHaveLength(0);
  });

  it('Notifier: Slack answering missing_scope falls back to a thread reply naming the path', async () => {
    let errors = 0;
    const notifier = new Notifier(slackChat(), clock, log, 1000, () => errors++);
    const ref = (await notifier.postCard('gd-1a2b3c', CHANNEL, message({ title: 'Game day gd-1a2b3c' })))!;
    api.failNext('files.getUploadURLExternal', 'missing_scope');
    notifier.upload('gd-1a2b3c', ref, CHANNEL, file);
    await notifier.flush();

    expect(api.uploadedFiles()).toHaveLength(0);
    const replies = api.messagesIn(CHANNEL).filter((m) => m.thread_ts === ref.ts);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toContain(file.path);
    expect(JSON.stringify(replies[0]!.blocks)).toContain(file.path);
    expect(errors).toBe(1);
    expect(log.messages('warn')).toContain('file upload failed; posting the path');
  });

  it('Notifier: a chat without uploads gets a thread reply naming the path', async () => {
    const chat = new RecordingChat();
    const notifier = new Notifier(chat, clock, log, 1000);
    const ref = (await notifier.postCard('gd-1', '#chaos', message({ title: 'card' })))!;
    notifier.upload('gd-1', null, '#chaos', file);
    await notifier.flush();
    const reply = chat.calls.find((c) => c.op === 'reply');
    expect(reply?.ref).toEqual(ref);
    expect(reply!.msg.sections).toEqual([`📎 ${file.title}: ${file.path}`]);
  });

  it('Notifier: with no card at all the path is posted to the channel', async () => {
    const chat = new RecordingChat();
    const notifier = new Notifier(chat, clock, log, 1000);
    notifier.upload('gd-never-posted', null, '#chaos', file);
    await notifier.flush();
    expect(chat.calls.map((c) => [c.op, c.channel])).toEqual([['post', '#chaos']]);
    expect(messageText(chat.calls[0]!.msg)).toContain(file.path);
  });

  it('Console: prints the path as a thread line', async () => {
    const lines: string[] = [];
    const chat = new ConsoleChat((t) => lines.push(t));
    const notifier = new Notifier(chat, clock, log, 1000);
    await notifier.postCard('gd-1', '#chaos', message({ title: 'Game day gd-1' }));
    notifier.upload('gd-1', null, '#chaos', file);
    await notifier.flush();
    expect(lines.at(-1)).toBe(`  ↳ 📎 ${file.title}: ${file.path}`);
  });
});
