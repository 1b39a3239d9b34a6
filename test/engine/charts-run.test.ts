import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineFactory } from './engine-harness.js';

const engine = engineFactory();

describe('the signals chart of a real run', () => {
  it('a breached run: the PNG lies beside the draft, the draft links it, the thread gets it', async () => {
    const e = engine({ playbooks: [{ duration: '4s' }] });
    e.signal.set('errors', (n) => (n >= 3 ? 0.2 : 0.01));
    const id = await e.launch();
    await e.engine.runner.settle();

    expect(e.service.get(id).record.abort?.code).toBe('guardrail_breach');
    const draft = e.journal(id).find((j) => j.kind === 'postmortem')!.data.path as string;
    const chart = join(dirname(draft), `${id}-signals.png`);
    expect(existsSync(chart)).toBe(true);
    const png = await readFile(chart);
    expect([...png.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(png.readUInt32BE(16)).toBeGreaterThan(500); // IHDR width

    const md = await readFile(draft, 'utf8');
    expect(md).toContain(`](${id}-signals.png)`);

    // The recording chat takes no files: the notifier names the chart's path in the thread instead.
    await e.close();
    expect(e.chat.transcript()).toContain(`${id}: signals over the run: ${chart}`);
  });

  it('an experiment never started (nothing sampled) gets no chart and no link', async () => {
    const e = engine();
    const id = await e.proposeApproved();
    const path = await e.engine.runner.writeDraft(id);
    expect(await readFile(path, 'utf8')).not.toContain('-signals.png');
    expect(existsSync(join(dirname(path), `${id}-signals.png`))).toBe(false);
  });
});
