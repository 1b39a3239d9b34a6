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

let client;
let connected;
let broken = null;

// A connection lost between statements (the server restarted, a failover): later statements say so,
// and the next one outside a transaction connects again.
function connect() {
  broken = null;
  // The store's transactions last milliseconds (they are synchronous code). One idle for seconds belongs to
  // a process that is paused or gone: the server ends it, so its row locks (the journal's head) do not
  // hold up the replica that took over.
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs, idle_in_transaction_session_timeout: 2000 });
  c.on('error', (err) => {
    if (client === c) broken ??= err;
  });
  c.on('end', () => {
    if (client === c) broken ??= new Error('the connection to PostgreSQL ended');
  });
  client = c;
  connected = c.connect().then(
    () => null,
    (err) => err,
  );
}
connect();

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
  let failed = (await connected) ?? broken;
  if (failed && msg.reconnect) {
    client.end().catch(() => {});
    connect();
    failed = (await connected) ?? broken;
  }
  if (failed) return answer({ id: msg.id, error: errorOf(failed) });
  try {
    const res = await client.query({ text: msg.sql, values: msg.params });
    answer({ id: msg.id, rows: res.rows, rowCount: res.rowCount ?? 0 });
  } catch (err) {
    answer({ id: msg.id, error: errorOf(err) });
  }
});
