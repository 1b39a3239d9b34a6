import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPlaybooks } from '../../src/playbooks/load-playbooks.js';
import { MemoryTarget } from '../fakes/memory-target.js';
import { ScriptedSignal } from '../fakes/scripted-signal.js';
import { playbookYaml } from '../engine/engine-harness.js';

const target = new MemoryTarget();
const signal = new ScriptedSignal();
const adapters = { targets: new Map([[target.kind, target]]), signals: new Map([[signal.kind, signal]]) };
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'faultline-gd-files-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const GOOD = `
kind: GameDay
name: web-day
title: Web day
roles: { commander: carol }
steps:
  - { playbook: web-latency, blastRadius: one }
  - name: inline kill
    experiment:
      hypothesis: If one web replica dies, the error rate stays under 5 %
      owner: team-web
      target: { adapter: memory, selector: { service: web }, blastRadius: 'count:2' }
      fault: { type: kill, duration: 1s }
      guardrails:
        - { name: errors, signal: { source: scripted, key: errors }, comparison: '>', threshold: 0.05 }
`;

describe('game-day files', () => {
  it('load beside experiments: references resolved later, inline steps checked as experiments with defaults filled in', () => {
    const { playbooks, gamedays, reports } = loadPlaybooks([folder({ 'a.yaml': playbookYaml(), 'day.yaml': GOOD })], adapters, {});
    expect(reports.every((r) => r.ok)).toBe(true);
    expect([...playbooks.keys()]).toEqual(['web-latency']);
    const day = gamedays.get('web-day')!;
    expect(day.gameday.channel).toBe('#chaos');
    expect(day.gameday.autoContinue).toBe('never');
    expect(day.inline[0]).toBeNull();
    expect(day.inline[1]).toMatchObject({ name: 'web-day-step-2', channel: '#chaos', fault: { type: 'kill', duration: 1000 } });
  });

  it('report bad fields with path and line, unknown playbooks by step, and names shared with an experiment', () => {
    const bad = GOOD.replace('commander: carol', 'commandr: carol').replace("blastRadius: 'count:2'", "blastRadius: 'lots'");
    const unknownRef = GOOD.replace('name: web-day', 'name: other-day').replace('playbook: web-latency', 'playbook: web-latncy');
    const clash = GOOD.replace('name: web-day', 'name: web-latency');
    const { gamedays, reports } = loadPlaybooks([folder({ 'a.yaml': playbookYaml(), 'bad.yaml': bad, 'ref.yaml': unknownRef, 'zz-clash.yaml': clash })], adapters, {});
    const problems = (file: string) => reports.find((r) => r.file.endsWith(file))!.problems.join('\n');
    expect(problems('bad.yaml')).toMatch(/roles/);
    expect(problems('ref.yaml')).toContain('steps[0].playbook: no playbook named "web-latncy"; known: web-latency');
    expect(problems('zz-clash.yaml')).toContain('name: "web-latency" is already used by');
    expect([...gamedays.keys()]).toEqual([]);

    const inlineBad = GOOD.replace("blastRadius: 'count:2'", "blastRadius: 'lots'");
    const { reports: r2 } = loadPlaybooks([folder({ 'a.yaml': playbookYaml(), 'day.yaml': inlineBad })], adapters, {});
    expect(r2.find((r) => r.file.endsWith('day.yaml'))!.problems.join('\n')).toMatch(/steps\[1\]\.experiment\.target\.blastRadius \(line \d+\): expected one \| all/);
  });
});

describe('blinded drill and on-call fields', () => {
  const day = (extra: string) => GOOD.replace('roles: { commander: carol }', `roles: { commander: carol }\n${extra}`);
  const problemsOf = (text: string) => {
    const { reports } = loadPlaybooks([folder({ 'a.yaml': playbookYaml(), 'day.yaml': text })], adapters, {});
    return reports.find((r) => r.file.endsWith('day.yaml'))!.problems.join('\n');
  };

  it('load with responders in their own channel, expected alerts and onCall', () => {
    const { gamedays, reports } = loadPlaybooks(
      [folder({ 'a.yaml': playbookYaml(), 'day.yaml': day("blinded: true\nresponders: { channel: '#oncall', people: [dora] }\nexpectedAlerts: [Web latency]\nonCall: require\nonCallTimeout: 5m") })],
      adapters,
      {},
    );
    expect(reports.every((r) => r.ok)).toBe(true);
    expect(gamedays.get('web-day')!.gameday).toMatchObject({ blinded: true, responders: { channel: '#oncall', people: ['dora'] }, expectedAlerts: ['Web latency'], onCall: 'require', onCallTimeout: 300_000 });
  });

  it('refuse a blinded drill without responders, or with them in the facilitator channel, naming the field', () => {
    expect(problemsOf(day('blinded: true'))).toMatch(/responders.*a blinded drill needs responders/);
    expect(problemsOf(day("blinded: true\nresponders: { channel: '#chaos' }"))).toMatch(/responders\.channel.*must differ from the game day's channel \(#chaos\)/);
    expect(problemsOf(day('onCall: always'))).toMatch(/onCall/);
    expect(problemsOf(day("blinded: true\nresponders: { channel: '#oncall', people: [dora, carol] }"))).toMatch(/responders\.people\[1\].*carol has a role in the game day/);
  });
});
