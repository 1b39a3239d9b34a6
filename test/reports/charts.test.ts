import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { chartData, signalSpec, signalsSpec } from '../../src/reports/charts/chart-spec.js';
import { renderSignalChart, signalChartFileName } from '../../src/reports/charts/signal-chart.js';
import { postmortemPath } from '../../src/reports/postmortem/postmortem.js';
import { chartSource, ERROR_RATES } from './chart-fixture.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/chart-error-rate.png', import.meta.url));

type Layer = { mark: { type: string }; data: { values: Array<Record<string, unknown>> } };
const layers = (spec: Record<string, unknown>) => spec.layer as Layer[];
const layer = (spec: Record<string, unknown>, type: string, i = 0) => layers(spec).filter((l) => l.mark.type === type)[i];

/** Width and height from the IHDR chunk, which must come first. */
function ihdr(png: Buffer): { width: number; height: number } {
  expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('chart data from the journal', () => {
  const data = chartData(chartSource());

  it('times are seconds since the injection; the fault window runs to the revert', () => {
    expect(data.fault).toEqual({ from: 0, to: 15 });
    const errors = data.signals.find((s) => s.name === 'error rate')!;
    expect(errors.points.map((p) => p.t)).toEqual([1, 3, 5, 7, 9, 11, 13]);
    expect(errors.points.map((p) => p.value)).toEqual(ERROR_RATES);
    expect(errors.rule).toEqual({ comparison: '>', threshold: 0.05 });
  });

  it('the breach is the reading that broke the rule; unknown readings have no value', () => {
    const errors = data.signals.find((s) => s.name === 'error rate')!;
    expect(errors.breach).toEqual({ t: 13, value: 0.057, status: 'breach' });
    expect(errors.points.filter((p) => p.value === null)).toEqual([{ t: 9, value: null, status: 'pending' }]);
  });

  it('steady-state checks are drawn from the pre- and post-check', () => {
    const ok = data.signals.find((s) => s.name === 'success rate')!;
    expect(ok.kind).toBe('steady-state');
    expect(ok.points).toEqual([
      { t: -2, value: 0.998, status: 'ok' },
      { t: 16.5, value: 0.995, status: 'ok' },
    ]);
    expect(ok.breach).toBeNull();
  });

  it('nothing injected: no fault window; nothing sampled: no signals', () => {
    const src = chartSource();
    const quiet = chartData({ ...src, events: src.events.filter((e) => e.kind !== 'injected' && e.kind !== 'reverted') });
    expect(quiet.fault).toBeNull();
    expect(chartData({ ...src, events: [] }).signals).toEqual([]);
  });
});

describe('the Vega-Lite spec', () => {
  const data = chartData(chartSource());
  const errors = signalSpec(data, data.signals[0]!);

  it('shades the fault window from the injection to the revert', () => {
    expect(layer(errors, 'rect')!.data.values).toEqual([{ from: 0, to: 15, label: 'fault in' }]);
  });

  it('draws the threshold as a rule and marks the breach', () => {
    expect(layer(errors, 'rule', 0)!.data.values).toEqual([{ threshold: 0.05 }]);
    expect(layer(errors, 'point')!.data.values).toEqual([{ t: 13, value: 0.057 }]);
    expect((errors.title as { subtitle: string }).subtitle).toBe('abort when > 0.05 · breach at 13 s · 1 unknown');
  });

  it('an unknown reading is a gap in the line and a dotted mark at its time', () => {
    expect(layer(errors, 'line')!.data.values[4]).toEqual({ t: 9, value: null });
    expect(layer(errors, 'rule', 1)!.data.values).toEqual([{ t: 9, status: 'pending' }]);
  });

  it('one panel per signal, stacked in one spec', () => {
    expect((signalsSpec(data).vconcat as unknown[]).length).toBe(2);
  });
});

describe('the PNG', () => {
  it('is a PNG of a sane size, with room for each panel', async () => {
    const png = (await renderSignalChart(chartData(chartSource())))!;
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.length).toBeGreaterThan(10_000);
    expect(png.length).toBeLessThan(1_000_000);
    const { width, height } = ihdr(png);
    expect(width).toBeGreaterThanOrEqual(1000);
    expect(width).toBeLessThan(2000);
    expect(height).toBeGreaterThan(600); // two panels at 2x
    expect(height).toBeLessThan(2000);
    if (process.env.WRITE_CHART_FIXTURE) await writeFile(FIXTURE, png);
  });

  it('changes with the data', async () => {
    const a = (await renderSignalChart(chartData(chartSource())))!;
    const b = (await renderSignalChart(chartData(chartSource([0.01, 0.02, 0.03, 0.02, 0.01, 0.02, 0.01]))))!;
    expect(a.equals(b)).toBe(false);
    const again = (await renderSignalChart(chartData(chartSource())))!;
    expect(again.equals(a)).toBe(true);
  });

  it('nothing sampled: no chart', async () => {
    expect(await renderSignalChart(chartData({ ...chartSource(), events: [] }))).toBeNull();
  });

  it('the example in test/fixtures is this data set drawn (regenerate with WRITE_CHART_FIXTURE=1)', async () => {
    const fixture = await readFile(FIXTURE);
    expect(ihdr(fixture)).toEqual(ihdr((await renderSignalChart(chartData(chartSource())))!));
  });

  it('file names are made safe like the draft', () => {
    expect(signalChartFileName('exp-c4a7e1')).toBe('exp-c4a7e1-signals.png');
    expect(signalChartFileName('../../etc/x')).toBe(basename(postmortemPath('/pm', '../../etc/x')).replace(/\.md$/, '-signals.png'));
    expect(signalChartFileName('../../etc/x')).not.toContain('/');
  });
});
