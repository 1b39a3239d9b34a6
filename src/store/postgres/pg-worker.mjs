// The thread behind SyncPgClient (sync-client.ts): one `pg` connection, one query at a time, each
// answer posted back and the waiting thread woken through the shared signal. Plain JavaScript so it
// runs from the sources and from the build alike.
import { workerData } from 'node:worker_threads';
import pg from 'pg';

const { url, connectTimeoutMs, signal: signalBuffer, port } = workerData;
const signal = new Int32Array(signalBuffer);

// BIGINT and NUMERIC as JavaScript numbers (sequence numbers and epoch milliseconds fit in 2^53).
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

let broken = null;
const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
// A connection lost between queries: every later query answers with this error.
client.on('error', (err) => {
  broken ??= err;
});
const connected = client.connect().then(
  () => null,
  (err) => err,
);

function answer(reply) {
  port.postMessage(reply);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}

const errorOf = (err) => ({ message: err?.message ?? String(err), code: err?.code, detail: err?.detail });

port.on('message', async (msg) => {
  if (msg.type === 'close') {
    await client.end().catch(() => {});
    answer({ id: msg.id, rows: [], rowCount: 0 });
    port.close();
    return;
  }
  const failed = (await connected) ?? broken;
  if (failed) return answer({ id: msg.id, error: errorOf(failed) });
  try {
    const res = await client.query({ text: msg.sql, values: msg.params });
    answer({ id: msg.id, rows: res.rows, rowCount: res.rowCount ?? 0 });
  } catch (err) {
    answer({ id: msg.id, error: errorOf(err) });
  }
});
