import path from 'node:path';
import type { Actor } from '../core/actor.js';
import { FaultlineError } from '../core/errors.js';
import { TERMINAL_STATES, type ExperimentRecord } from '../core/experiment.js';
import type { StandingStatus } from '../core/schedule-standing.js';
import { openStore, type Store } from '../store/index.js';
import { ReplicaDb } from '../store/postgres/replica-db.js';
import type { Handoff } from './replica/handoff-gateway.js';
import type { DryRun } from './run-dry.js';
import { writeRunOutputs, type RunOutcome } from './run-outputs.js';
import type { RunProgress } from './run-progress.js';

export interface FleetRun {
  url: string;
  playbook: string;
  overrides: { duration?: number; blastRadius?: string };
  actor: Actor;
  channel?: string;
  timeoutMs?: number;
  dryRun: boolean;
  json?: string;
  junit?: string;
  /** How long an answer from the leader may take. */
  answerWaitMs: number;
  progress: RunProgress;
  printDryRun(dry: DryRun): number;
}

/**
 * `faultline run` where replicas run on PostgreSQL: this process acts on nothing itself. The run is
 * handed to the leader (proposed as the pipeline; started at once under a standing approval, else its
 * card waits in the channel for an approver's click), and followed in the store until it ends.
 */
export async function runOnReplicas(r: FleetRun): Promise<{ outcome: RunOutcome | 'dry-run'; code?: number }> {
  const db = new ReplicaDb(r.url);
  let store: Store | undefined;
  try {
    const lease = await db.lease();
    if (!lease || lease.leftMs <= 0) throw new FaultlineError('replica_unavailable', `no Faultline replica leads on ${db.where}: nothing can run the experiment`);
    const ask = async (payload: Handoff): Promise<unknown> => {
      const id = await db.submit(payload, payload.kind === 'command' && /^\/chaos abort\b/.test(payload.line), Date.now());
      const deadline = Date.now() + r.answerWaitMs;
      for (;;) {
        const row = await db.reply(id);
        if (row?.state === 'done') {
          const reply = row.reply as { error?: { code: string; message: string } };
          if (reply?.error) throw new FaultlineError(reply.error.code as never, reply.error.message);
          return row.reply;
        }
        if (Date.now() >= deadline && (await db.abandon(id))) throw new FaultlineError('replica_unavailable', `the leader did not take the run within ${r.answerWaitMs} ms`);
        await new Promise((done) => setTimeout(done, 200));
      }
    };
    if (r.dryRun) return { outcome: 'dry-run', code: r.printDryRun((await ask({ kind: 'dry-run', playbook: r.playbook, overrides: r.overrides })) as DryRun) };

    r.progress.phase('proposing');
    const launched = (await ask({ kind: 'run', playbook: r.playbook, overrides: r.overrides, actor: r.actor, ...(r.channel ? { channel: r.channel } : {}) })) as { experimentId: string; standing: StandingStatus; hypothesis: string };
    const id = launched.experimentId;
    store = openStore({ url: r.url });
    const read = (): ExperimentRecord => (store!.experiments.get(id)!.data as { record: ExperimentRecord }).record;
    if (!launched.standing.ok) r.progress.line(`${id} waits for an approver's click on its card in ${read().channel} (${launched.standing.reason ?? `no standing approval for ${r.playbook}`})`);
    const deadline = r.timeoutMs === undefined ? Infinity : Date.now() + r.timeoutMs;
    let startAsked = false;
    let timedOut = false;
    const command = (line: string) => ask({ kind: 'command', line, actor: r.actor, channel: read().channel });
    for (;;) {
      const record = read();
      r.progress.phase(record.state === 'running' ? (record.phase ?? 'running') : record.state);
      if (TERMINAL_STATES.includes(record.state)) break;
      // Approved by a person: the pipeline, its proposer, starts it.
      if (record.state === 'approved' && !startAsked) {
        startAsked = true;
        await command(`/chaos start ${id}`);
      }
      if (!timedOut && Date.now() >= deadline) {
        timedOut = true;
        r.progress.line(`--timeout reached: ${record.state === 'running' ? 'aborting' : 'withdrawing'} ${id}`);
        await command(record.state === 'running' ? `/chaos abort ${id} the pipeline run reached its --timeout` : `/chaos cancel ${id} the pipeline run reached its --timeout`);
      }
      await new Promise((done) => setTimeout(done, 250));
    }
    const record = read();
    const outcome: RunOutcome = timedOut ? 'timeout' : record.state === 'failed' ? 'failed' : ['rejected', 'expired', 'cancelled'].includes(record.state) ? 'refused' : (record.verdict ?? 'inconclusive');
    writeRunOutputs({
      record,
      journal: store.journal(id),
      hypothesis: launched.hypothesis,
      outcome,
      ...(r.json ? { json: path.resolve(r.json) } : {}),
      ...(r.junit ? { junit: path.resolve(r.junit) } : {}),
    });
    process.stdout.write(`${id} ${record.name}: ${outcome}${record.abort ? ` (aborted: ${record.abort.reason})` : ''}\n`);
    return { outcome };
  } finally {
    store?.close();
    await db.close();
  }
}
