import { FaultlineError } from '../../core/errors.js';
import type { TargetDriver } from '../../core/ports.js';
import type { LeaderLeases } from '../../store/leases.js';
import type { LeaderElection } from './election.js';

/** What every effect of a leader passes first. */
export interface Fence {
  /** Throws `leader_fenced` unless this replica still holds its lease, by its own clock and by the store's. */
  assert(): void;
}

/**
 * The leader's fence: its own deadline first (no I/O, so a replica that was paused stops before it
 * asks anything), then the store, which answers whether this holder and epoch hold the lease now. A
 * "no" from the store means another replica took over: this one leads no more.
 */
export function leaderFence(election: LeaderElection, leases: Pick<LeaderLeases, 'holds'>): Fence {
  return {
    assert() {
      const token = election.assertLeading();
      if (!leases.holds(token)) {
        election.lose('the store says another replica holds the lease');
        throw new FaultlineError('leader_fenced', `this replica's lease (epoch ${token.epoch}) is no longer held`, { epoch: token.epoch });
      }
    },
  };
}

/**
 * The drivers with inject and revert behind the fence: a replica that lost its lease changes no
 * target, neither injecting nor reverting (the new leader reverts what the old one held).
 */
export function fencedTargets(targets: Map<string, TargetDriver>, fence: Fence): Map<string, TargetDriver> {
  const out = new Map<string, TargetDriver>();
  for (const [kind, driver] of targets) {
    // Async: a fenced call rejects its promise, as every driver call fails, never throws in the caller's frame.
    const inject: TargetDriver['inject'] = async (fault, resolved, ctx) => {
      fence.assert();
      return driver.inject(fault, resolved, ctx);
    };
    const revert: TargetDriver['revert'] = async (handle, ctx) => {
      fence.assert();
      return driver.revert(handle, ctx);
    };
    // Everything else is the driver's own, called on the driver (its private state stays reachable).
    const fenced = new Proxy(driver, {
      get(target, prop) {
        if (prop === 'inject') return inject;
        if (prop === 'revert') return revert;
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    out.set(kind, fenced);
  }
  return out;
}
