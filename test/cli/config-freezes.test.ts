import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/app/config.js';

describe('freeze windows and the ladder in the config file', () => {
  it('parse, with durations in ms', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-cfg-'));
    const file = path.join(dir, 'c.yaml');
    writeFileSync(file, 'freezes:\n  - { cron: "0 18 * * 5", duration: 62h, timeZone: Europe/Berlin, reason: weekend }\n  - { from: "2026-12-24T00:00:00Z", to: "2026-12-27T00:00:00Z", reason: holidays }\ncaps: { ladder: { window: 14d } }\n'.replace('14d', '336h'));
    const { config } = readConfig({ file, env: {} });
    expect(config.freezes[0]).toMatchObject({ cron: '0 18 * * 5', duration: 62 * 3_600_000, timeZone: 'Europe/Berlin' });
    expect(config.caps.ladder?.window).toBe(336 * 3_600_000);
    rmSync(dir, { recursive: true, force: true });
  });

  it('name the bad field', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-cfg-'));
    const file = path.join(dir, 'c.yaml');
    writeFileSync(file, 'freezes:\n  - { cron: "every friday", duration: 1h, reason: nope }\n');
    expect(() => readConfig({ file, env: {} })).toThrow(/freezes\[0\]/);
    rmSync(dir, { recursive: true, force: true });
  });
});
