import { LogLevel, WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlackApiStandIn } from '../fakes/slack-api.js';

let api: SlackApiStandIn;
beforeEach(async () => {
  api = await SlackApiStandIn.start();
});
afterEach(async () => {
  await api.close();
});

const client = () => new WebClient('xoxb-test', { slackApiUrl: api.url, logLevel: LogLevel.ERROR, retryConfig: { retries: 0 } });

describe('Slack stand-in: external file uploads', () => {
  it('takes raw bytes at the upload URL it handed out, which points at the stand-in', async () => {
    const web = client();
    const got = await web.files.getUploadURLExternal({ filename: 'r.md', length: 5 });
    expect(got.upload_url).toMatch(new RegExp(`^${api.url.replace('/api/', '/upload/v1/')}F\\d+$`));
    const res = await fetch(got.upload_url!, { method: 'POST', body: 'hello' });
    expect([res.status, await res.text()]).toEqual([200, 'OK - 5']);
    const done = await web.files.completeUploadExternal({ files: [{ id: got.file_id!, title: 'R' }], channel_id: 'C1' });
    expect(done.files?.[0]).toMatchObject({ id: got.file_id, title: 'R' });
    expect(api.uploadedFiles()[0]).toMatchObject({ encoding: 'raw', channel: 'C1', threadTs: null, completed: true });
    expect(api.uploadedFiles()[0]!.bytes!.toString()).toBe('hello');
  });

  it('refuses what Slack refuses: an unknown upload URL, completing a file whose bytes never came, missing arguments', async () => {
    const web = client();
    expect((await fetch(api.url.replace('/api/', '/upload/v1/F404'), { method: 'POST', body: 'x' })).status).toBe(404);
    const got = await web.files.getUploadURLExternal({ filename: 'r.md', length: 1 });
    await expect(web.files.completeUploadExternal({ files: [{ id: got.file_id! }], channel_id: 'C1' })).rejects.toMatchObject({ data: { error: 'file_not_found' } });
    await expect(web.apiCall('files.getUploadURLExternal', { filename: 'r.md' })).rejects.toMatchObject({ data: { error: 'invalid_arguments' } });
  });
});
