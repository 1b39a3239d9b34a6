import { Command } from 'commander';
import { errorText, isFaultlineError } from '../core/errors.js';
import { auditVerifyAction } from './cli-audit.js';
import { demoAction } from './demo.js';
import { DEFAULT_JANITOR_GRACE, janitorAction } from './cli-janitor.js';
import { sandboxAction } from './cli-sandbox.js';
import { schemaAction, validateAction } from './cli-playbooks.js';
import { startAction } from './cli-start.js';
import { runAction } from './cli-run.js';

const program = new Command();
program
  .name('faultline')
  .description('Chaos experiments and game days from chat, run safely.')
  .option('-c, --config <file>', 'config file (default: $FAULTLINE_CONFIG or ./faultline.config.yaml, else embedded defaults)');

program
  .command('start')
  .description('start the bot: the interactive console (no Slack token) against the local sandbox by default')
  .option('-u, --user <id>', 'who is typing at first in the console', process.env.USER && process.env.USER !== 'root' ? process.env.USER : 'alice')
  .action((o: { user: string }) => startAction({ config: program.opts<{ config?: string }>().config, user: o.user }));

program
  .command('demo')
  .description('run a whole experiment on the local sandbox: propose, approve, start, breach, auto-abort, revert, post-mortem')
  .option('--fast', 'shorter waits (for tests and benchmarks)', false)
  .action((o: { fast: boolean }) => demoAction({ fast: o.fast }));

program
  .command('sandbox')
  .description('run the local sandbox (3 replicas behind the fault proxy, with load) until Ctrl-C')
  .option('--proxy-port <port>', 'traffic port', '7070')
  .option('--admin-port <port>', 'admin API, /stats and /metrics', '7071')
  .option('--replicas <n>', 'replicas of the checkout service', '3')
  .option('--rps <n>', 'load generator requests per second', '30')
  .action((o: { proxyPort: string; adminPort: string; replicas: string; rps: string }) => sandboxAction(o));

program
  .command('validate')
  .description('check playbooks; every problem is reported with file, field and what was expected')
  .argument('[paths...]', 'playbook files or folders', ['playbooks'])
  .option('--check', 'also sample every signal once (PromQL against PROMETHEUS_URL) and report those that error or return nothing')
  .action((paths: string[], opts: { check?: boolean }) => validateAction({ paths, config: program.opts<{ config?: string }>().config, check: opts.check === true }));

program
  .command('schema')
  .description('print the JSON Schema of Experiment playbooks (for editor completion); --gameday for GameDay files')
  .option('--gameday', 'the schema of kind: GameDay files instead')
  .action((opts: { gameday?: boolean }) => schemaAction({ config: program.opts<{ config?: string }>().config, gameday: opts.gameday === true }));

program
  .command('run')
  .description('run one experiment headless and exit with its verdict: 0 held, 1 refuted, 2 inconclusive, 3 refused, failed or timed out, 4 usage or config error')
  .argument('<playbook>', 'the playbook to run')
  .option('--set <key=value>', 'an override, as in chat: duration=30s, blastRadius=count:2 (repeatable)', (v: string, list: string[] | undefined) => [...(list ?? []), v])
  .option('--timeout <duration>', 'abort and revert if the whole run takes longer (e.g. 10m); exit 3')
  .option('--json <file>', 'write the result (readings, breaches, revert receipts) as JSON')
  .option('--junit <file>', 'write a JUnit XML report: one test case per steady-state check and guardrail')
  .option('--dry-run', 'resolve the targets and read every signal once; propose and inject nothing', false)
  .option('--as <id>', 'who the pipeline is (default $FAULTLINE_PIPELINE_ACTOR or "pipeline"); never an approver of its own run')
  .option('--channel <channel>', "where the run is announced (default: the playbook's channel)")
  // A pipeline gates on the exit code: a usage error must not read as 1 (refuted).
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 4))
  .action((playbook: string, o: { set?: string[]; timeout?: string; json?: string; junit?: string; dryRun: boolean; as?: string; channel?: string }) =>
    runAction(playbook, { ...o, set: o.set ?? [], config: program.opts<{ config?: string }>().config }),
  );

program
  .command('audit')
  .description('the hash-chained audit log')
  .command('verify')
  .description('re-compute the audit chain and name the first bad row')
  .action(() => auditVerifyAction({ config: program.opts<{ config?: string }>().config }));

program
  .command('janitor')
  .description(
    "one pass of the dead man's switch in the cluster: revert every Kubernetes fault whose faultline.dev/expires-at has passed, from what the objects record (no database, no bot); --aws does the same for AWS faults from their tags",
  )
  .option('--kubeconfig <path>', 'kubeconfig to use (default: adapters.targets.kubernetes.kubeconfig from --config, $KUBECONFIG, the in-cluster service account, ~/.kube/config)')
  .option('--context <name>', 'kubeconfig context to use')
  .option(
    '--protected-namespace <ns>',
    "never touch objects in this namespace (repeatable; added to kube-system, kube-public, kube-node-lease, or to --config's protected.namespaces)",
    (ns: string, list: string[] | undefined) => [...(list ?? []), ns],
  )
  .option(
    '--grace <duration>',
    'wait this long past a fault\'s expiry before reverting it, so a bot that is still alive does its own revert, receipt and post-mortem first',
    DEFAULT_JANITOR_GRACE,
  )
  .option('--dry-run', 'print what would be reverted; change nothing', false)
  .option('--json', 'one JSON object per line instead of plain lines', false)
  .option('--aws', "also revert expired AWS faults (instances stopped, Auto Scaling processes suspended) from their faultline:* tags; credentials, region and endpoint from the SDK's chain", false)
  .option(
    '--aws-region <region>',
    "another region to look in (repeatable; added to --config's adapters.targets.aws.region and regions, else the SDK's default region)",
    (r: string, list: string[] | undefined) => [...(list ?? []), r],
  )
  .option('--no-kubernetes', 'skip the cluster pass (with --aws: a janitor that watches AWS only)')
  .action(
    (o: { kubeconfig?: string; context?: string; protectedNamespace?: string[]; grace: string; dryRun: boolean; json: boolean; aws: boolean; awsRegion?: string[]; kubernetes: boolean }) =>
      janitorAction({ ...o, protectedNamespace: o.protectedNamespace ?? [], config: program.opts<{ config?: string }>().config }),
  );

program.parseAsync(process.argv).catch((err: unknown) => {
  if (isFaultlineError(err)) {
    process.stderr.write(`faultline: ${err.message} [${err.code}]\n`);
    process.exit(2);
  }
  // Not Faultline's to name: the stack says where it came from.
  process.stderr.write(`faultline: ${err instanceof Error && err.stack !== undefined ? err.stack : errorText(err)}\n`);
  process.exit(1);
});
