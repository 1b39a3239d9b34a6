/** The baseline for the ack benchmark: a Bolt app over HTTP that only acks `/chaos`. Prints its URL. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';

const [secret, apiUrl] = process.argv.slice(2) as [string, string];
const receiver = new HTTPReceiver({ signingSecret: secret, logLevel: LogLevel.ERROR });
const app = new App({ token: 'xoxb-bare', receiver, clientOptions: { slackApiUrl: apiUrl }, logLevel: LogLevel.ERROR });
app.command('/chaos', async ({ ack }) => {
  await ack();
});
const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
process.stdout.write(`${JSON.stringify({ msg: 'ready', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
process.once('SIGTERM', () => void app.stop().then(() => process.exit(0)));
