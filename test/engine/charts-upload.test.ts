import { LogLevel, WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsoleChat } from '../../src/adapters/chat/console/console-chat.js';
import { SlackChat } from '../../src/adapters/chat/slack/slack-chat.js';
import { message } from '../../src/core/message.js';
import type { ChatFile } from '../../src/core/ports.js';
import { chartData } from '../../src/reports/charts/chart-spec.js';
import { renderSignalChart } from '../../src/reports/charts/signal-chart.js';
import { SlackApiStandIn } from '../fakes/slack-api.js';
import { RecordingLog } from '../fakes/recording-log.js';
import { chartSource } from '../reports/chart-fixture.js';

const CHANNEL = 'C0CHAOS';
let api: SlackApiStandIn;
beforeEach(async () => {
  api = await SlackApiStandIn.start();
});
afterEach(async () => {
  await api.close();
});

const chartFile = async (): Promise<ChatFile> => ({
  path: '/srv/faultline/data/postmortems/exp-c4a7e1-signals.png',
  filename: 'exp-c4a7e1-signals.png',
  title: 'exp-c4a7e1: signals over the run',
  content: '',
  data: (await renderSignalChart(chartData(chartSource())))!,
});

describe('the chart into the thread', () => {
  it('Slack: the PNG bytes arrive unchanged through files.uploadV2', async () => {
    const chat = new SlackChat(new WebClient('xoxb-test', { slackApiUrl: api.url, logLevel: LogLevel.ERROR, retryConfig: { retries: 0 } }), { maxRateLimitWaitMs: 5000, log: new RecordingLog() });
    const card = await chat.post(CHANNEL, message({ title: 'exp-c4a7e1' }));
    const file = await chartFile();
    await chat.upload(card, file);

    const [stored, ...more] = api.uploadedFiles();
    expect(more).toHaveLength(0);
    expect(stored!.bytes!.equals(file.data!)).toBe(true);
    expect(stored).toMatchObject({ filename: file.filename, title: file.title, channel: CHANNEL, threadTs: card.ts, completed: true, length: file.data!.length });
  });

  it('console: the thread line names the file', async () => {
    const lines: string[] = [];
    const chat = new ConsoleChat((l: string) => lines.push(l));
    const file = await chartFile();
    await chat.upload({ channel: '#chaos', ts: '1' }, file);
    expect(lines.join('\n')).toContain(`${file.title}: ${file.path}`);
  });
});
