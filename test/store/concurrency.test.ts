import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { tempDir } from './temp-dir.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

describe('several stores on one file', () => {
  it('two Store instances appending interleaved keep one consistent chain', () => {
    const a = openStore({ path: tmp.file() });
    const b = openStore({ path: tmp.file() });
    try {
      for (let i = 0; i < 200; i += 1) {
        const writer = i % 3 === 0 ? b : a; // irregular interleaving
        const event = writer.append({ at: i, actor: writer === a ? 'A' : 'B', kind: 'tick', experimentId: 'shared', data: { i } });
        expect(event.seq).toBe(i + 1);
      }
      const verdictA = a.verifyAudit();
      expect(verdictA).toMatchObject({ ok: true, count: 200 });
      expect(b.verifyAudit()).toEqual(verdictA);
      expect(b.journal('shared').map((e) => e.data.i)).toEqual(Array.from({ length: 200 }, (_, i) => i));
      // Each row links to the row before it, whichever instance wrote it.
      const all = a.events();
      for (let i = 1; i < all.length; i += 1) expect(all[i]!.prevHash).toBe(all[i - 1]!.hash);
    } finally {
      a.close();
      b.close();
    }
  });

  it('a snapshot written by one instance is read by the other', () => {
    const a = openStore({ path: tmp.file() });
    const b = openStore({ path: tmp.file() });
    a.experiments.save({ id: 'e', name: 'n', state: 'running', updatedAt: 1, data: {} });
    a.settings.set('halted', 'true');
    expect(b.experiments.get('e')?.state).toBe('running');
    expect(b.settings.get('halted')).toBe('true');
    a.close();
    b.close();
  });

  it('several processes appending at the same time keep the chain intact', async () => {
    const path = tmp.file();
    openStore({ path }).close(); // migrate once up front; concurrent first opens are tested below
    const script = join(tmp.dir, 'writer.mts');
    const storeUrl = pathToFileURL(resolve('src/store/index.ts')).href;
    writeFileSync(
      script,
      `import { openStore } from ${JSON.stringify(storeUrl)};
       import { existsSync } from 'node:fs';
       const [path, who, count, go] = process.argv.slice(2);
       const store = openStore({ path });
       console.log('ready');
       while (!existsSync(go)) {}
       const pause = new Int32Array(new SharedArrayBuffer(4));
       for (let i = 0; i < Number(count); i += 1) {
         store.append({ at: Date.now(), actor: who, kind: 'tick', data: { i } });
         if (i % 10 === 9) Atomics.wait(pause, 0, 0, 1); // let the others in now and then, as real writers would
       }
       store.close();`,
    );
    const writers = 4;
    const perWriter = 150;
    const go = join(tmp.dir, 'go');
    const children = Array.from({ length: writers }, (_, w) => runChild(script, [path, `w${w}`, String(perWriter), go]));
    await Promise.all(children.map((c) => c.ready)); // every writer has its store open
    writeFileSync(go, ''); // now they all start appending at once
    const results = await Promise.all(children.map((c) => c.done));
    for (const r of results) expect(r).toEqual({ code: 0, stderr: '' });

    const store = openStore({ path });
    try {
      expect(store.verifyAudit()).toMatchObject({ ok: true, count: writers * perWriter });
      const events = store.events();
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: writers * perWriter }, (_, i) => i + 1));
      for (let w = 0; w < writers; w += 1) {
        const mine = events.filter((e) => e.actor === `w${w}`).map((e) => e.data.i);
        expect(mine).toEqual(Array.from({ length: perWriter }, (_, i) => i));
      }
      // The writers really did interleave (not one after another).
      const switches = events.filter((e, i) => i > 0 && e.actor !== events[i - 1]!.actor).length;
      expect(switches).toBeGreaterThan(writers - 1);
    } finally {
      store.close();
    }
  }, 30_000);

  it('several processes opening a fresh file at once migrate it exactly once', async () => {
    const path = tmp.file('fresh.db');
    const script = join(tmp.dir, 'opener.mts');
    const storeUrl = pathToFileURL(resolve('src/store/index.ts')).href;
    writeFileSync(
      script,
      `import { openStore } from ${JSON.stringify(storeUrl)};
       import { existsSync } from 'node:fs';
       const [path, go] = process.argv.slice(2);
       console.log('ready');
       while (!existsSync(go)) {}
       const store = openStore({ path });
       store.append({ at: 1, actor: 'opener', kind: 'opened' });
       store.close();`,
    );
    const go = join(tmp.dir, 'go');
    const children = Array.from({ length: 4 }, () => runChild(script, [path, go]));
    await Promise.all(children.map((c) => c.ready));
    writeFileSync(go, '');
    const results = await Promise.all(children.map((c) => c.done));
    for (const r of results) expect(r).toEqual({ code: 0, stderr: '' });
    const store = openStore({ path });
    expect(store.verifyAudit()).toMatchObject({ ok: true, count: 4 });
    store.close();
  }, 30_000);
});

interface Child {
  /** Resolves when the child prints its first line (it is loaded and waiting for the go file). */
  ready: Promise<void>;
  done: Promise<{ code: number | null; stderr: string }>;
}

function runChild(script: string, args: string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<{ code: number | null; stderr: string }>((resolveDone, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolveDone({ code, stderr }));
  });
  const ready = new Promise<void>((resolveReady, reject) => {
    child.stdout.once('data', () => resolveReady());
    void done.then((r) => reject(new Error(`child exited before it was ready (${r.code}): ${r.stderr}`)), reject);
  });
  return { ready, done };
}
