/**
 * Follows a started FIS experiment by GetExperiment polling. When it ends by itself (its actions
 * completed, one failed, or one of the template's own stop conditions stopped it), the adapter
 * journals it at once with `ctx.note(FAULT_ENDED_NOTE, …)`: the engine ends the observation
 * (completed) or aborts the run (stopped, failed) and says so in the thread. A revert stops the
 * following first, so Faultline's own stop is never reported as the experiment ending by itself.
 */
import { GetExperimentCommand, type FisClient } from '@aws-sdk/client-fis';
import { FAULT_ENDED_NOTE, type AdapterLogger, type FaultEnded, type TargetContext } from '../../../core/ports.js';
import { awsErrorParts, isAwsError } from './fis-errors.js';

/** The note kind journaled when a FIS experiment ends by itself (the engine's FAULT_ENDED_NOTE), with FisEnded as data. */
export const FIS_ENDED_NOTE = FAULT_ENDED_NOTE;

export const FIS_TERMINAL = ['completed', 'stopped', 'failed', 'cancelled'] as const;
export const isTerminal = (status: string | undefined) => (FIS_TERMINAL as readonly string[]).includes(status ?? '');

/**
 * The data of the note: `state` and `reason` are what the engine reads (completed ends the
 * observation early; stopped or failed abort the run); the rest is for the journal.
 */
export interface FisEnded extends FaultEnded, Record<string, unknown> {
  handleId: string;
  fisExperimentId: string;
  templateId?: string;
  /** FIS's own status: completed, stopped, failed, cancelled (or gone: the experiment no longer exists). */
  status: string;
  endedAt: number;
}

/** After the fault's expiry the revert is due; following longer than this past it is only a backstop. */
const FOLLOW_PAST_EXPIRY_MS = 60_000;

export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref?.();
    signal.addEventListener('abort', done, { once: true });
  });
}

export class FisFollowers {
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly fis: FisClient,
    private readonly log: AdapterLogger,
    private readonly now: () => number,
    private readonly pollMs: number,
  ) {}

  /** Handles followed right now. */
  following(): string[] {
    return [...this.running.keys()];
  }

  follow(fisExperimentId: string, templateId: string | undefined, ctx: Pick<TargetContext, 'handleId' | 'experimentId' | 'expiresAt' | 'note'>): void {
    this.stop(ctx.handleId);
    const controller = new AbortController();
    this.running.set(ctx.handleId, controller);
    void this.loop(fisExperimentId, templateId, ctx, controller.signal)
      .catch((err: unknown) => this.log.error({ experimentId: ctx.experimentId, handleId: ctx.handleId, fisExperimentId, err }, 'following the FIS experiment failed'))
      .finally(() => {
        if (this.running.get(ctx.handleId) === controller) this.running.delete(ctx.handleId);
      });
  }

  stopAll(): void {
    for (const id of this.following()) this.stop(id);
  }

  /** Stops following (before Faultline stops the experiment itself). True when it was followed. */
  stop(handleId: string): boolean {
    const c = this.running.get(handleId);
    if (!c) return false;
    c.abort();
    this.running.delete(handleId);
    return true;
  }

  private async loop(id: string, templateId: string | undefined, ctx: Pick<TargetContext, 'handleId' | 'experimentId' | 'expiresAt' | 'note'>, signal: AbortSignal): Promise<void> {
    const meta = { experimentId: ctx.experimentId, handleId: ctx.handleId, fisExperimentId: id };
    let failures = 0;
    while (!signal.aborted && this.now() < ctx.expiresAt + FOLLOW_PAST_EXPIRY_MS) {
      await pause(this.pollMs, signal);
      if (signal.aborted) return;
      let status: string | undefined;
      let reason = '';
      try {
        const out = await this.fis.send(new GetExperimentCommand({ id }), { abortSignal: signal });
        status = out.experiment?.state?.status;
        reason = out.experiment?.state?.reason ?? '';
        failures = 0;
      } catch (err) {
        if (signal.aborted) return;
        if (isAwsError(err, 'ResourceNotFoundException')) {
          status = 'gone';
          reason = 'the experiment no longer exists';
        } else {
          failures += 1;
          const p = awsErrorParts(err);
          (failures >= 3 ? this.log.error : this.log.warn).call(this.log, { ...meta, awsCode: p.code, requestId: p.requestId, failures }, 'could not read the FIS experiment; trying again');
          continue;
        }
      }
      if (status !== 'gone' && !isTerminal(status)) continue;
      if (signal.aborted) return; // a revert began meanwhile: Faultline's own stop, not an end by itself
      const raw = status ?? 'unknown';
      const state = raw === 'completed' ? 'completed' : raw === 'stopped' || raw === 'cancelled' ? 'stopped' : 'failed';
      const ended: FisEnded = {
        state,
        reason: `FIS experiment ${id} ${raw}${reason ? `: ${reason}` : ''}`,
        handleId: ctx.handleId,
        fisExperimentId: id,
        ...(templateId ? { templateId } : {}),
        status: raw,
        endedAt: this.now(),
      };
      (status === 'completed' ? this.log.info : this.log.warn).call(this.log, { ...meta, status, reason }, 'FIS experiment ended by itself');
      ctx.note(FIS_ENDED_NOTE, ended);
      return;
    }
  }
}
