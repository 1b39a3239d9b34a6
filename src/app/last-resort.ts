import type { Logger } from 'pino';
import type { FaultSteps } from '../engine/experiments/fault-steps.js';

/** How long the last-resort reverts may take before the process exits anyway. */
const LAST_RESORT_LIMIT_MS = 30_000;

/**
 * The handler of last resort. Node ends the process on an uncaught exception or an unhandled
 * rejection; before it does, every fault this process has in flight is reverted straight from
 * memory (the store may be what failed), so no fault outlives the bot that applied it. Exit code 70
 * (EX_SOFTWARE) tells a supervisor to restart it; the restart's recovery settles the records.
 */
export function installLastResort(opts: { log: Logger; faults: () => FaultSteps | undefined; exit?: (code: number) => void }): () => void {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let handling = false;
  const onFatal = (err: unknown, origin: string) => {
    if (handling) {
      opts.log.error({ err, origin }, 'another uncaught error while reverting; still reverting');
      return;
    }
    handling = true;
    opts.log.fatal({ err, origin }, 'uncaught error; reverting every fault in flight, then exiting');
    const faults = opts.faults();
    const reverting = faults ? faults.revertInFlight() : Promise.resolve({ reverted: [], failed: [] });
    const limit = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), LAST_RESORT_LIMIT_MS).unref());
    void Promise.race([reverting, limit])
      .then((result) => {
        if (result === 'timeout') opts.log.fatal({ limitMs: LAST_RESORT_LIMIT_MS }, 'last-resort reverts did not finish in time; the next start reverts the rest');
        else if (result.failed.length > 0) opts.log.fatal({ ...result }, 'some faults could not be reverted; the next start reverts them');
        else opts.log.fatal({ reverted: result.reverted }, 'every fault in flight reverted; exiting');
      })
      .catch((e: unknown) => opts.log.fatal({ err: e }, 'last-resort reverts failed'))
      .finally(() => exit(70));
  };
  const onException = (err: unknown) => onFatal(err, 'uncaughtException');
  const onRejection = (err: unknown) => onFatal(err, 'unhandledRejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
