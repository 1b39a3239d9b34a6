import { ErrorCode, LogLevel, WebClient, WebClientEvent, type WebAPIHTTPError, type WebAPIPlatformError, type WebAPIRateLimitedError } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlackApiStandIn } from '../fakes/slack-api.js';

let api: SlackApiStandIn;
beforeEach(async () => {
  api = await SlackApiStandIn.start();
});
afterEach(async () => {
  await api.close();
});

function client(opts: ConstructorParameters<typeof WebClient>[1] = {}, token = 'xoxb-test'): WebClient {
  return new WebClient(token, { slackApiUrl: api.url, logLevel: LogLevel.ERROR, retryConfig: { retries: 0 }, ...opts });
}

const section = (text: string) => [{ type: 'section', text: { type: 'mrkdwn', text } }];

describe('Slack Web API stand-in, through the real WebClient', () => {
  it('answers auth.test with the bot identity and records the bearer token', async () => {
    const res = await client().auth.test();
    expect(res).toMatchObject({ ok: true, user: 'faultline', team_id: 'T0001', user_id: 'UBOT', bot_id: 'BBOT' });
    expect(api.callsTo('auth.test', 'ok')[0]?.token).toBe('xoxb-test');
  });

  it('posts, threads and updates in place; blocks arrive decoded; message() tracks the current content', async () => {
    const web = client();
    const posted = await web.chat.postMessage({ channel: 'C0CHAOS', text: 'exp-000001 proposed', blocks: section('*proposed*') });
    expect(posted.ok).toBe(true);
    expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(posted.message).toMatchObject({ bot_id: 'BBOT', text: 'exp-000001 proposed', ts: posted.ts });
    const ts = posted.ts ?? '';

    const call = api.callsTo('chat.postMessage')[0];
    expect(call?.params.blocks).toEqual(section('*proposed*')); // a JSON string on the wire, an array here
    expect(call?.params).not.toHaveProperty('token');

    const reply = await web.chat.postMessage({ channel: 'C0CHAOS', thread_ts: ts, text: 'injecting' });
    expect(Number(reply.ts)).toBeGreaterThan(Number(ts));

    const updated = await web.chat.update({ channel: 'C0CHAOS', ts, text: 'exp-000001 running' });
    expect(updated).toMatchObject({ ok: true, channel: 'C0CHAOS', ts, text: 'exp-000001 running' });
    await web.chat.update({ channel: 'C0CHAOS', ts, text: 'exp-000001 completed', blocks: section('*completed*') });

    // Blocks omitted on the first update were kept, as Slack keeps them.
    expect(api.message('C0CHAOS', ts)).toMatchObject({ text: 'exp-000001 completed', blocks: section('*completed*'), updates: 2 });
    expect(api.messagesIn('C0CHAOS').map((m) => [m.text, m.thread_ts])).toEqual([
      ['exp-000001 completed', undefined],
      ['injecting', ts],
    ]);

    const eph = await web.chat.postEphemeral({ channel: 'C0CHAOS', user: 'U0PROPOSER', text: 'only you can see this' });
    expect(eph.message_ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(api.messagesIn('C0CHAOS')).toHaveLength(2);
  });

  it('refuses an update of an unknown message with message_not_found', async () => {
    const err = (await client().chat.update({ channel: 'C0CHAOS', ts: '1.000001', text: 'x' }).catch((e: unknown) => e)) as WebAPIPlatformError;
    expect(err.code).toBe(ErrorCode.PlatformError);
    expect(err.data.error).toBe('message_not_found');
    expect(api.callsTo('chat.update', 'error')).toHaveLength(1);
  });

  it('failNext surfaces as a platform error, then the method works again', async () => {
    api.failNext('chat.postMessage', 'channel_not_found');
    const web = client();
    const err = (await web.chat.postMessage({ channel: 'C0GONE', text: 'x' }).catch((e: unknown) => e)) as WebAPIPlatformError;
    expect(err.code).toBe(ErrorCode.PlatformError);
    expect(err.data.error).toBe('channel_not_found');
    await expect(web.chat.postMessage({ channel: 'C0CHAOS', text: 'x' })).resolves.toMatchObject({ ok: true });
    expect(api.callsTo('chat.postMessage').map((c) => c.outcome)).toEqual(['error', 'ok']);
  });

  it('rateLimit: the WebClient waits Retry-After, retries and succeeds', async () => {
    api.rateLimit('chat.postMessage', { times: 1, retryAfterSeconds: 1 });
    const web = client({ retryConfig: { retries: 2, minTimeout: 0, maxTimeout: 1 } });
    const seen: number[] = [];
    web.on(WebClientEvent.RATE_LIMITED, (sec: number) => seen.push(sec));
    const res = await web.chat.postMessage({ channel: 'C0CHAOS', text: 'status' });
    expect(res.ok).toBe(true);
    expect(seen).toEqual([1]);
    const [limited, ok] = api.callsTo('chat.postMessage');
    expect(limited?.outcome).toBe('rate_limited');
    expect(ok?.outcome).toBe('ok');
    expect((ok?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it("rateLimit('*') with rejectRateLimitedCalls surfaces the Retry-After to the caller", async () => {
    api.rateLimit('*', { times: 1, retryAfterSeconds: 7 });
    const err = (await client({ rejectRateLimitedCalls: true }).auth.test().catch((e: unknown) => e)) as WebAPIRateLimitedError;
    expect(err.code).toBe(ErrorCode.RateLimitedError);
    expect(err.retryAfter).toBe(7);
  });

  it('setDown: every call gets HTTP 503 until it is back up', async () => {
    api.setDown(true);
    const web = client();
    const err = (await web.chat.postMessage({ channel: 'C0CHAOS', text: 'x' }).catch((e: unknown) => e)) as WebAPIHTTPError;
    expect(err.code).toBe(ErrorCode.HTTPError);
    expect(err.statusCode).toBe(503);
    expect(api.callsTo('chat.postMessage', 'down')).toHaveLength(1);
    api.setDown(false);
    await expect(web.chat.postMessage({ channel: 'C0CHAOS', text: 'x' })).resolves.toMatchObject({ ok: true });
  });

  it('usergroups.users.list answers members or the configured error', async () => {
    api.setUsergroup('S0APPROVERS', ['U0APPROVER', 'U0ONCALL']);
    api.setUsergroup('S0FREE', { error: 'paid_teams_only' });
    const web = client();
    await expect(web.usergroups.users.list({ usergroup: 'S0APPROVERS' })).resolves.toMatchObject({ users: ['U0APPROVER', 'U0ONCALL'] });
    const err = (await web.usergroups.users.list({ usergroup: 'S0FREE' }).catch((e: unknown) => e)) as WebAPIPlatformError;
    expect(err.data.error).toBe('paid_teams_only');
    const unknown = (await web.usergroups.users.list({ usergroup: 'S0NONE' }).catch((e: unknown) => e)) as WebAPIPlatformError;
    expect(unknown.data.error).toBe('no_such_subteam');
  });

  it('views.open and views.update return a view with an id; the view arrives decoded', async () => {
    const web = client();
    const view = { type: 'modal' as const, callback_id: 'propose_modal', title: { type: 'plain_text' as const, text: 'Propose' }, blocks: [] };
    const opened = await web.views.open({ trigger_id: '123.456.abc', view });
    expect(opened.view).toMatchObject({ id: expect.stringMatching(/^V/), callback_id: 'propose_modal', type: 'modal' });
    expect(api.callsTo('views.open')[0]?.params.view).toEqual(view);
    const updated = await web.views.update({ view_id: opened.view?.id ?? '', view: { ...view, callback_id: 'propose_modal_2' } });
    expect(updated.view).toMatchObject({ id: opened.view?.id, callback_id: 'propose_modal_2' });
  });

  it('refuses calls without a token, unknown methods, and apps.connections.open with a bot token', async () => {
    const noToken = (await client({}, '').auth.test().catch((e: unknown) => e)) as WebAPIPlatformError;
    expect(noToken.data.error).toBe('not_authed');
    const unknown = (await client().apiCall('chat.frobnicate').catch((e: unknown) => e)) as WebAPIPlatformError;
    expect(unknown.data.error).toBe('unknown_method');
    const botToken = (await client().apps.connections.open().catch((e: unknown) => e)) as WebAPIPlatformError;
    expect(botToken.data.error).toBe('not_allowed_token_type');
    api.setSocketUrl('ws://127.0.0.1:1/link?ticket=t');
    await expect(client({}, 'xapp-test').apps.connections.open()).resolves.toMatchObject({ ok: true, url: 'ws://127.0.0.1:1/link?ticket=t' });
  });

  it('parses application/json bodies and token params too', async () => {
    const res = await fetch(`${api.url}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: 'Bearer xoxb-json' },
      body: JSON.stringify({ channel: 'C0CHAOS', text: 'json', blocks: section('json') }),
    });
    expect(await res.json()).toMatchObject({ ok: true, channel: 'C0CHAOS' });
    await fetch(`${api.url}auth.test`, { method: 'POST', body: new URLSearchParams({ token: 'xoxb-form' }) });
    expect(api.calls.map((c) => [c.method, c.token])).toEqual([
      ['chat.postMessage', 'xoxb-json'],
      ['auth.test', 'xoxb-form'],
    ]);
    expect(api.calls[0]?.params.blocks).toEqual(section('json'));
  });

  it('records response_url posts and waits for calls that come later', async () => {
    const later = api.waitFor((c) => c.method === 'chat.postMessage' && c.params.text === 'late');
    const resp = api.waitForResponse((r) => r.id === 'cmd-1');
    await fetch(api.responseUrl('cmd-1'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', text: 'usage: /chaos propose <playbook>' }),
    });
    await client().chat.postMessage({ channel: 'C0CHAOS', text: 'late' });
    await expect(later).resolves.toMatchObject({ outcome: 'ok' });
    await expect(resp).resolves.toMatchObject({ body: { response_type: 'ephemeral' } });
    await expect(api.waitFor((c) => c.method === 'views.open', 50)).rejects.toThrow(/timed out after 50ms.*chat\.postMessage:ok/);
  });
});
