import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { Config, DEMO_APPROVERS, readConfig, withDemoApprovers } from '../../src/app/config.js';
import { refuseWithoutApprovers } from '../../src/app/slack-start.js';

describe('approvers by default', () => {
  it('are none in the config, embedded defaults included', () => {
    expect(Config.parse({}).approvers).toEqual([]);
    expect(readConfig({ env: {}, cwd: tmpdir() }).config.approvers).toEqual([]);
  });

  it('the console and the demo fall back to the demo users only when the config names nobody', () => {
    expect(withDemoApprovers(Config.parse({})).approvers).toEqual(['alice', 'bob', 'carol']);
    expect(DEMO_APPROVERS).toEqual(['alice', 'bob', 'carol']);
    expect(withDemoApprovers(Config.parse({ approvers: ['U1'] })).approvers).toEqual(['U1']);
  });

  it('Slack refuses to start with none, saying how to set them (the config field and the variable)', () => {
    const refusal = () => refuseWithoutApprovers({ config: Config.parse({}), source: '/etc/faultline/faultline.config.yaml' });
    expect(refusal).toThrow(/no approvers for Slack: set approvers in \/etc\/faultline\/faultline\.config\.yaml, e\.g\. `approvers: \[U0123ABCD, U0456EFGH\]`/);
    expect(refusal).toThrow(/FAULTLINE_APPROVERS=U0123ABCD,U0456EFGH/);
    expect(refusal).toThrow(expect.objectContaining({ code: 'config_invalid' }));
    expect(() => refuseWithoutApprovers({ config: Config.parse({}), source: 'embedded defaults' })).toThrow(/set approvers in a config file \(--config, FAULTLINE_CONFIG or \.\/faultline\.config\.yaml\)/);
  });

  it('Slack starts with approvers, or with an approver group alone', () => {
    expect(() => refuseWithoutApprovers({ config: Config.parse({ approvers: ['U1'] }), source: 'f' })).not.toThrow();
    expect(() => refuseWithoutApprovers({ config: Config.parse({ slack: { approverGroup: 'S0SRE' } }), source: 'f' })).not.toThrow();
  });
});
