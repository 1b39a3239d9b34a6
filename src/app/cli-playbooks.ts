import path from 'node:path';
import { z } from 'zod';
import { GameDaySpec } from '../core/gameday.js';
import { makeExperimentSchema } from '../core/playbook.js';
import { assertPathsExist, loadPlaybooks } from '../playbooks/load-playbooks.js';
import { playbookVars } from './compose.js';
import { readConfig } from './config.js';
import { createLogger } from './logger.js';
import { buildSignals, buildTargets } from './registries.js';
import { checkSignals } from './cli-signal-check.js';

function adapters(configFile?: string) {
  const { config } = readConfig(configFile ? { file: configFile } : {});
  const deps = { log: createLogger({ level: 'silent' }), now: () => Date.now() };
  return { config, targets: buildTargets(config.adapters.targets, deps), signals: buildSignals(config.adapters.signals, deps) };
}

/**
 * `faultline validate`: every problem of every file with file, field, line and reason, never a
 * stack trace. Exit 1 when a file is invalid, 2 when a path does not exist or holds no playbooks.
 * With `check`, every signal of every valid playbook is also sampled once (PromQL against
 * PROMETHEUS_URL); one that errors or returns nothing is a problem too (exit 1).
 */
export async function validateAction(opts: { paths: string[]; config?: string; check?: boolean }): Promise<void> {
  const { config, targets, signals } = adapters(opts.config);
  assertPathsExist(opts.paths);
  // Loaded together, so a game day's references to playbooks in other files are checked too.
  const { reports, playbooks, gamedays } = loadPlaybooks(opts.paths, { targets, signals }, playbookVars(config), { maxFileBytes: config.playbooks.maxFileBytes });
  if (reports.length === 0) {
    process.stderr.write(`no .yaml playbooks under ${opts.paths.join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  let bad = 0;
  let blind = 0;
  for (const report of reports) {
    const rel = path.relative(process.cwd(), report.file) || report.file;
    if (report.ok) {
      process.stdout.write(`ok      ${rel} (${report.name})\n`);
      if (!opts.check) continue;
      const gameday = gamedays.get(report.name!);
      const specs = gameday ? gameday.inline.flatMap((s, i) => (s ? [{ label: `steps[${i}].experiment.`, spec: s }] : [])) : [{ label: '', spec: playbooks.get(report.name!)!.playbook }];
      for (const { label, spec } of specs) {
        const lines = await checkSignals(spec, signals, config.engine.signalTimeout);
        blind += lines.filter((l) => l.status === 'fail').length;
        for (const l of lines) process.stdout.write(`  ${l.status === 'ok' ? '✓' : l.status === 'warn' ? '!' : '✗'} ${rel}: ${label}${l.text}\n`);
      }
    } else {
      bad++;
      process.stdout.write(`invalid ${rel}\n${report.problems.map((p) => `  - ${rel}: ${p}`).join('\n')}\n`);
    }
  }
  process.stdout.write(`${reports.length - bad} valid, ${bad} invalid${opts.check ? `, ${blind} signal(s) that cannot be read` : ''}\n`);
  if (bad > 0 || blind > 0) process.exitCode = 1;
}

export async function schemaAction(opts: { config?: string; gameday?: boolean }): Promise<void> {
  if (opts.gameday) {
    const json = z.toJSONSchema(GameDaySpec, { io: 'input', unrepresentable: 'any' });
    process.stdout.write(`${JSON.stringify({ ...json, $id: 'https://faultline.dev/schemas/gameday.json', title: 'Faultline GameDay playbook' }, null, 2)}\n`);
    return;
  }
  const { targets, signals } = adapters(opts.config);
  const union = <T extends z.ZodType>(list: T[]) => (list.length === 1 ? list[0]! : z.union(list as [T, T, ...T[]]));
  const schema = makeExperimentSchema({
    signal: union([...signals.values()].map((s) => s.schema)) as z.ZodType<{ source: string }>,
    target: union([...targets.values()].map((t) => t.schemas.target)) as never,
    fault: union([...targets.values()].map((t) => t.schemas.fault)) as never,
  });
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  process.stdout.write(`${JSON.stringify({ ...json, $id: 'https://faultline.dev/schemas/experiment.json', title: 'Faultline Experiment playbook' }, null, 2)}\n`);
}
