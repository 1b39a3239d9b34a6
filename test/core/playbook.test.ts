import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { Duration, formatDuration, parseDuration } from '../../src/core/duration.js';
import { Experiment, type ExperimentInput } from '../../src/core/playbook.js';

function minimal(): Record<string, unknown> {
  return {
    kind: 'Experiment',
    name: 'checkout-kill',
    hypothesis: 'If one checkout replica dies, p99 latency stays under 300ms',
    owner: 'team-checkout',
    target: { adapter: 'process', selector: { app: 'checkout' } },
    fault: { type: 'kill', duration: '5m' },
    guardrails: [{ name: 'error-rate', signal: { source: 'http', url: 'http://127.0.0.1:9/errors' }, comparison: '>', threshold: 0.05, for: '30s' }],
  } satisfies ExperimentInput;
}

function issues(input: unknown): z.core.$ZodIssue[] {
  const r = Experiment.safeParse(input);
  expect(r.success).toBe(false);
  return r.error!.issues;
}

const paths = (input: unknown) => issues(input).map((i) => i.path.join('.'));

describe('Experiment playbook schema', () => {
  it('parses a minimal playbook and fills in the defaults', () => {
    const exp = Experiment.parse(minimal());
    expect(exp.target.blastRadius).toEqual({ kind: 'one' });
    expect(exp.target.selector).toEqual({ app: 'checkout' });
    expect(exp.channel).toBe('#chaos');
    expect(exp.maxUnknown).toBe(3);
    expect(exp.fault.duration).toBe(300_000);
    expect(exp.fault.parameters).toEqual({});
    expect(exp.guardrails[0]!.for).toBe(30_000);
    expect(exp.guardrails[0]!.maxUnknown).toBeUndefined();
    expect(exp.steadyState).toEqual([]);
    expect(exp.pagerduty).toEqual({ services: [] });
    expect(exp.expectAlerts).toEqual([]);
    // adapter-specific signal fields survive the generic schema
    expect(exp.guardrails[0]!.signal).toEqual({ source: 'http', url: 'http://127.0.0.1:9/errors' });
  });

  it('a guardrail without `for` breaches at once (for = 0)', () => {
    const input = minimal();
    input.guardrails = [{ name: 'g', signal: { source: 'http' }, comparison: '<', threshold: 1 }];
    expect(Experiment.parse(input).guardrails[0]!.for).toBe(0);
  });

  it('parses the full shape', () => {
    const exp = Experiment.parse({
      ...minimal(),
      title: 'Kill a checkout replica',
      channel: '#checkout-chaos',
      target: { adapter: 'kubernetes', selector: { app: 'checkout' }, blastRadius: 'percent:25', namespace: 'shop' },
      fault: { type: 'pod-kill', parameters: { grace: 0 }, duration: '1m30s' },
      steadyState: [{ name: 'p99', signal: { source: 'prometheus', query: 'q' }, comparison: '<', threshold: 0.3 }],
      maxUnknown: 5,
      pagerduty: { services: ['PCHECKOUT'] },
      expectAlerts: ['CheckoutErrorRateHigh'],
      rollback: 'kubectl rollout restart deploy/checkout',
    });
    expect(exp.target.blastRadius).toEqual({ kind: 'percent', n: 25 });
    expect(exp.fault.duration).toBe(90_000);
    expect(exp.maxUnknown).toBe(5);
    expect(exp.expectAlerts).toEqual(['CheckoutErrorRateHigh']);
  });

  it('missing hypothesis → path hypothesis', () => {
    const input = minimal();
    delete input.hypothesis;
    expect(paths(input)).toEqual(['hypothesis']);
  });

  it('a too-short hypothesis → path hypothesis', () => {
    expect(paths({ ...minimal(), hypothesis: 'works' })).toEqual(['hypothesis']);
  });

  it('missing guardrails → path guardrails', () => {
    const input = minimal();
    delete input.guardrails;
    expect(paths(input)).toEqual(['guardrails']);
  });

  it('empty guardrails → path guardrails, saying nothing runs unwatched', () => {
    const found = issues({ ...minimal(), guardrails: [] });
    expect(found.map((i) => i.path.join('.'))).toEqual(['guardrails']);
    expect(found[0]!.message).toContain('at least one guardrail');
  });

  it.each(['10 parsecs', '0s', '', '5', '-1s', '1d', 'm'])('bad fault duration %j → path fault.duration', (duration) => {
    const found = issues({ ...minimal(), fault: { type: 'kill', duration } });
    expect(found.map((i) => i.path.join('.'))).toEqual(['fault.duration']);
  });

  it('missing fault duration → path fault.duration', () => {
    expect(paths({ ...minimal(), fault: { type: 'kill' } })).toEqual(['fault.duration']);
  });

  it('bad guardrail `for` → path guardrails.0.for', () => {
    const input = minimal();
    input.guardrails = [{ name: 'g', signal: { source: 'http' }, comparison: '>', threshold: 1, for: '0s' }];
    expect(paths(input)).toEqual(['guardrails.0.for']);
  });

  it.each(['count:0', 'percent:101', 'percent:x', '', 'everything'])('bad blast radius %j → path target.blastRadius', (blastRadius) => {
    const found = issues({ ...minimal(), target: { adapter: 'process', blastRadius } });
    expect(found.map((i) => i.path.join('.'))).toEqual(['target.blastRadius']);
    expect(found[0]!.message).toContain(`"${blastRadius}"`);
  });

  it('an unknown top-level field is named in the issue', () => {
    const found = issues({ ...minimal(), hypotesis: 'typo' });
    expect(found).toHaveLength(1);
    // zod reports unrecognized keys on the object that holds them; the key itself is listed
    expect(found[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['hypotesis'], path: [] });
  });

  it('an unknown field inside a guardrail points at that guardrail', () => {
    const input = minimal();
    input.guardrails = [{ name: 'g', signal: { source: 'http' }, comparison: '>', threshold: 1, window: '5m' }];
    expect(issues(input)[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['window'], path: ['guardrails', 0] });
  });

  it('bad comparison, bad name, wrong kind → paths at those fields', () => {
    const input = minimal();
    input.guardrails = [{ name: 'g', signal: { source: 'http' }, comparison: '=>', threshold: 1 }];
    expect(paths(input)).toEqual(['guardrails.0.comparison']);
    expect(paths({ ...minimal(), name: 'Checkout Kill' })).toEqual(['name']);
    expect(paths({ ...minimal(), kind: 'GameDay' })).toEqual(['kind']);
    expect(paths({ ...minimal(), maxUnknown: 0 })).toEqual(['maxUnknown']);
    expect(paths({ ...minimal(), target: { selector: {} } })).toEqual(['target.adapter']);
  });
});

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1h2m3s', 3_723_000],
    ['1.5s', 1500],
    [' 2m ', 120_000],
    ['0s', 0],
  ])('parseDuration(%j) = %i', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10 parsecs', '5', '1d', 'm', '1m 30s', '-1s', '1s2', 's1'])('parseDuration(%j) is undefined', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it.each([
    [90_000, '1m30s'],
    [500, '500ms'],
    [0, '0ms'],
    [1000, '1s'],
    [60_000, '1m'],
    [3_600_000, '1h'],
    [3_723_000, '1h2m3s'],
    [3_600_000 + 5000, '1h5s'],
  ])('formatDuration(%i) = %j and round-trips', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });

  it('round-trips whole seconds', () => {
    for (let s = 1; s < 10_000; s += 37) expect(parseDuration(formatDuration(s * 1000))).toBe(s * 1000);
  });

  it('the Duration schema rejects zero and junk', () => {
    expect(Duration.parse('1m30s')).toBe(90_000);
    expect(Duration.safeParse('0s').success).toBe(false);
    expect(Duration.safeParse('10 parsecs').success).toBe(false);
  });
});
