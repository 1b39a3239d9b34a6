import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../src/core/errors.js';
import { claimSqliteStore, holderIsGone } from '../../src/app/store-claim.js';
import { openStore, type Store } from '../../src/store/index.js';

/** One engine per SQLite file: the claim a bot, a console or `faultline run` takes before it reconciles. */
describe('claiming a SQLite store', () => {
  const dirs: string[] = [];
  const stores: Store[] = [];
  const log = pino({ level: 'silent' });
  const open = (file: string) => {
    const s = openStore({ path: file });
    stores.push(s);
    return s;
  };
  const file = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-claim-'));
    dirs.push(dir);
    return path.join(dir, 'faultline.db');
  };
  afterEach(() => {
    for (const s of stores.splice(0)) s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('a second claim on a file a live process holds is refused with store_in_use, naming the holder; after release it is taken', () => {
    const f = file();
    const first = claimSqliteStore(open(f), log);
    // Another live process's claim: this test's parent, which certainly runs.
    const other = open(f);
    const held = other.leases.claim(`${os.hostname()}/${process.ppid}/abc`, 30_000, Date.now(), () => false);
    expect(held.ok).toBe(false);
    first.release();
    const live = open(f).leases.claim(`${os.hostname()}/${process.ppid}/abc`, 30_000, Date.now(), holderIsGone);
    expect(live).toMatchObject({ ok: true });
    let refused: unknown;
    try {
      claimSqliteStore(open(f), log);
    } catch (err) {
      refused = err;
    }
    expect(isFaultlineError(refused, 'store_in_use')).toBe(true);
    expect((refused as Error).message).toContain(`${os.hostname()}/${process.ppid}/abc`);
  });

  it('a claim left by a process that is gone is taken over at once (a crash), and so is one of this very process', () => {
    const f = file();
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    expect(open(f).leases.claim(`${os.hostname()}/${dead}/x`, 30_000, Date.now(), () => false)).toMatchObject({ ok: true, epoch: 1 });
    expect(holderIsGone(`${os.hostname()}/${dead}/x`)).toBe(true);
    const taken = claimSqliteStore(open(f), log);
    expect(open(f).leases.holds({ holder: 'nobody', epoch: 2 })).toBe(false);
    // An engine built again in the same process (the previous one abandoned) takes it too.
    const again = claimSqliteStore(open(f), log);
    taken.release();
    again.release();
  });

  it('an expired claim is taken; a claim by another host is never judged gone', () => {
    const f = file();
    const s = open(f);
    expect(s.leases.claim('elsewhere/1/x', 1000, 0, holderIsGone)).toMatchObject({ ok: true });
    expect(holderIsGone('elsewhere/1/x')).toBe(false);
    expect(s.leases.claim('me/2/y', 1000, 500, holderIsGone)).toMatchObject({ ok: false, holder: 'elsewhere/1/x' });
    expect(s.leases.claim('me/2/y', 1000, 1500, holderIsGone)).toMatchObject({ ok: true, epoch: 2 });
    expect(s.leases.renew({ holder: 'me/2/y', epoch: 2 }, 1000, 1600)).toBe(true);
    expect(s.leases.renew({ holder: 'elsewhere/1/x', epoch: 1 }, 1000, 1600)).toBe(false);
  });
});
