import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { isValidSlackRequest } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeServer, listenOn } from '../../src/lib/listen.js';
import { interactionFixture, slashCommandFixture } from '../fakes/slack-fixtures.js';
import { interactionForm, postSigned, slackSignature, slashCommandForm } from '../fakes/slack-signing.js';

const SECRET = 'faultline-signing-secret';

/** A receiver that checks signatures on its own (not via the helper under test) and echoes what it got. */
function verifyingServer(): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const ts = Number(req.headers['x-slack-request-timestamp']);
      const sig = String(req.headers['x-slack-signature'] ?? '');
      const expected = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${raw}`).digest('hex')}`;
      const fresh = Math.abs(Date.now() / 1000 - ts) <= 300;
      const valid = sig.length === expected.length && timingSafeEqual(Buffer.from(sig), Buffer.from(expected));
      res.writeHead(valid && fresh ? 200 : 401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          reason: !sig ? 'missing' : !valid ? 'bad_signature' : !fresh ? 'stale' : 'ok',
          contentType: req.headers['content-type'],
          retryNum: req.headers['x-slack-retry-num'] ?? null,
          retryReason: req.headers['x-slack-retry-reason'] ?? null,
          form: Object.fromEntries(new URLSearchParams(raw)),
          raw,
        }),
      );
    });
  });
}

let server: Server;
let url: string;
beforeAll(async () => {
  server = verifyingServer();
  url = `http://127.0.0.1:${await listenOn(server, 0, '127.0.0.1')}/slack/events`;
});
afterAll(() => closeServer(server));

const echo = (body: string) => JSON.parse(body) as { reason: string; contentType: string; retryNum: string | null; retryReason: string | null; form: Record<string, string>; raw: string };

describe('Slack request signing helpers', () => {
  it("reproduces Slack's documented example signature", () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(slackSignature('8f742231b10e8888abcd99yyyzzz85a5', 1531420618, body)).toBe('v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503');
  });

  it("produces signatures Bolt's own verifier accepts, and rejects when the body changes", () => {
    const body = slashCommandForm(slashCommandFixture('slash-command.propose'));
    const ts = Math.floor(Date.now() / 1000);
    const headers = { 'x-slack-signature': slackSignature(SECRET, ts, body), 'x-slack-request-timestamp': ts };
    expect(isValidSlackRequest({ signingSecret: SECRET, body, headers })).toBe(true);
    expect(isValidSlackRequest({ signingSecret: SECRET, body: `${body}&text=x`, headers })).toBe(false);
  });

  it('posts a signed slash command; the form round-trips to the fixture', async () => {
    const fields = slashCommandFixture('slash-command.propose');
    const res = await postSigned(url, slashCommandForm(fields), { secret: SECRET });
    expect(res.status).toBe(200);
    const got = echo(res.body);
    expect(got.contentType).toBe('application/x-www-form-urlencoded');
    expect(got.form).toEqual(fields);
    expect(res.ms).toBeGreaterThan(0);
  });

  it('posts a signed interaction as payload=<json>', async () => {
    const click = { ...interactionFixture('block-actions.approve'), response_url: 'http://127.0.0.1:1/response/a' };
    const res = await postSigned(url, interactionForm(click), { secret: SECRET, retryNum: 1, retryReason: 'http_timeout' });
    expect(res.status).toBe(200);
    const got = echo(res.body);
    expect(JSON.parse(got.form.payload ?? 'null')).toEqual(click);
    expect([got.retryNum, got.retryReason]).toEqual(['1', 'http_timeout']);
  });

  it('sends JSON bodies for the Events API when asked', async () => {
    const raw = JSON.stringify({ type: 'url_verification', challenge: 'c-123', token: 't' });
    const res = await postSigned(url, raw, { secret: SECRET, contentType: 'application/json' });
    expect(res.status).toBe(200);
    expect(echo(res.body)).toMatchObject({ contentType: 'application/json', raw });
  });

  it('can forge: wrong secret, missing header, explicit signature, stale timestamp', async () => {
    const body = slashCommandForm(slashCommandFixture('slash-command.propose-empty'));
    const wrong = await postSigned(url, body, { secret: 'not-the-secret' });
    expect([wrong.status, echo(wrong.body).reason]).toEqual([401, 'bad_signature']);
    const missing = await postSigned(url, body, { secret: SECRET, signature: null });
    expect([missing.status, echo(missing.body).reason]).toEqual([401, 'missing']);
    const forged = await postSigned(url, body, { secret: SECRET, signature: 'v0=deadbeef' });
    expect([forged.status, echo(forged.body).reason]).toEqual([401, 'bad_signature']);
    const staleTs = Math.floor(Date.now() / 1000) - 600;
    const stale = await postSigned(url, body, { secret: SECRET, timestampSec: staleTs });
    expect([stale.status, echo(stale.body).reason]).toEqual([401, 'stale']);
    const headers = { 'x-slack-signature': slackSignature(SECRET, staleTs, body), 'x-slack-request-timestamp': staleTs };
    expect(isValidSlackRequest({ signingSecret: SECRET, body, headers })).toBe(false); // Bolt agrees: stale
  });
});
