/**
 * The FIS experiments a fault started, read and stopped: listed (every page), their state read,
 * stopped idempotently (one that is stopping, has ended or is gone is fine), and waited for until
 * stopped, so a one-off template can be deleted after them.
 */
import { GetExperimentCommand, ListExperimentsCommand, StopExperimentCommand, type ExperimentSummary, type FisClient } from '@aws-sdk/client-fis';
import type { DiscoverContext, FaultHandle } from '../../../core/ports.js';
import { AWS_TAGS } from './fault-family.js';
import { isAwsError } from './fis-errors.js';
import { isTerminal, pause } from './fis-follow.js';
import type { FisHandleData } from './fis-tags.js';

const opts = (signal?: AbortSignal) => (signal ? { abortSignal: signal } : {});

export class FisExperiments {
  constructor(
    private readonly fis: FisClient,
    private readonly now: () => number,
    /** How long a wait for a stopping experiment lasts at most. */
    private readonly stopWaitMs: number,
    private readonly pollMs = 250,
  ) {}

  async list(signal?: AbortSignal): Promise<ExperimentSummary[]> {
    const out: ExperimentSummary[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.fis.send(new ListExperimentsCommand({ maxResults: 100, ...(nextToken ? { nextToken } : {}) }), opts(signal));
      out.push(...(page.experiments ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return out;
  }

  async status(id: string, signal?: AbortSignal): Promise<{ status: string; reason: string } | undefined> {
    try {
      const out = await this.fis.send(new GetExperimentCommand({ id }), opts(signal));
      return { status: out.experiment?.state?.status ?? 'unknown', reason: out.experiment?.state?.reason ?? '' };
    } catch (err) {
      if (isAwsError(err, 'ResourceNotFoundException')) return undefined;
      throw err;
    }
  }

  /** Stops one experiment; one that is stopping, has ended or is gone is fine. */
  async stop(id: string, ctx: DiscoverContext): Promise<void> {
    const before = await this.status(id, ctx.signal);
    if (!before || isTerminal(before.status) || before.status === 'stopping') return;
    try {
      await this.fis.send(new StopExperimentCommand({ id }), opts(ctx.signal));
      ctx.log.info({ fisExperimentId: id }, 'FIS experiment stopped');
    } catch (err) {
      // It may have ended between the read and the stop: what counts is where it is now.
      const now = await this.status(id, ctx.signal);
      if (!now || isTerminal(now.status) || now.status === 'stopping') return;
      throw err;
    }
  }

  /** Waits (bounded) until the experiment has left `stopping`, so its one-off template can go. */
  async waitStopped(id: string, ctx: DiscoverContext): Promise<string | undefined> {
    const until = this.now() + this.stopWaitMs;
    const signal = ctx.signal ?? new AbortController().signal;
    for (;;) {
      const s = await this.status(id, ctx.signal);
      if (!s || isTerminal(s.status)) return s?.status;
      if (this.now() >= until || signal.aborted) return s.status;
      await pause(this.pollMs, signal);
    }
  }

  /** The experiments of a handle: the one it names, else those carrying its faultline:handle tag. */
  async of(handle: FaultHandle, data: FisHandleData, signal?: AbortSignal): Promise<string[]> {
    if (data.fisExperimentId) return [data.fisExperimentId];
    const all = await this.list(signal);
    return all.filter((e) => e.tags?.[AWS_TAGS.handle] === handle.handleId && e.id).map((e) => e.id!);
  }
}
