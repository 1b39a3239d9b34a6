import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Config } from '../../src/app/config.js';
import { engineSettings } from '../../src/app/engine-settings.js';

describe('engine settings from the config', () => {
  it('without templates in the config, the shipped ones are used whatever the working directory', () => {
    const s = engineSettings(Config.parse({}), tmpdir());
    expect(existsSync(s.postmortemTemplate)).toBe(true);
    expect(existsSync(s.gameDayReportTemplate!)).toBe(true);
    expect(path.basename(s.gameDayReportTemplate!)).toBe('gameday-report.md.hbs');
  });

  it('templates named in the config are read relative to the working directory', () => {
    const s = engineSettings(Config.parse({ templates: { postmortem: 'mine/pm.hbs', gamedayReport: 'mine/gd.hbs' } }), '/srv/faultline');
    expect(s.postmortemTemplate).toBe('/srv/faultline/mine/pm.hbs');
    expect(s.gameDayReportTemplate).toBe('/srv/faultline/mine/gd.hbs');
  });
});
