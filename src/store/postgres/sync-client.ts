import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { FaultlineError } from '../../core/errors.js';

/**
 * A synchronous PostgreSQL client: the store's API is synchronous (a transition is saved before
 * anything else can see the experiment, so two clicks cannot interleave), and SQLite gives that for
 * free. Here one `pg` connection lives in a worker thread; a query is posted to it and the calling
 * thread waits on a shared signal (Atomics.wait) until the answer is there, then reads it with
 * receiveMessageOnPort. On loopback that costs a fraction of a millisecond more than the query.
 */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface SyncPgOptions {
  /** How long connecting may take before the first query fails. */
  connectTimeoutMs?: number;
  /** How long one query may take before it fails (the connection is then closed: its state is unknown). */
  queryTimeoutMs?: number;
}

interface Reply {
  id: number;
  rows?: unknown[];
  rowCount?: number;
  error?: { message: string; code?: string; detail?: string };
}

/** The worker's file: `.mjs` beside this module, in the sources and in the build (`npm run build` copies it). */
const WORKER_FILE = new URL('./pg-worker.mjs', import.meta.url);

export class SyncPgClient {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly queryTimeoutMs: number;
  private seq = 0;
  private closed: Error | null = null;

  constructor(
    readonly url: string,
    opts: SyncPgOptions = {},
  ) {
    this.queryTimeoutMs = opts.queryTimeoutMs ?? 30_000;
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_FILE, {
      workerData: { url, connectTimeoutMs: opts.connectTimeoutMs ?? 5000, signal: this.signal.buffer, port: port2 },
      transferList: [port2],
    });
    // The worker must not keep the process alive, nor die unseen.
    this.worker.unref();
    this.worker.on('error', (err) => {
      this.closed ??= err;
    });
  }

  /** Runs one statement and waits for its answer. Errors are `store_error`s carrying PostgreSQL's SQLSTATE. */
  /**
   * With `reconnect` (the default), a connection found lost is made again first; pass false inside a
   * transaction, whose statements must all run on the connection that began it.
   */
  query<R = Record<string, unknown>>(sql: string, params: readonly unknown[] = [], opts: { reconnect?: boolean } = {}): QueryResult<R> {
    if (this.closed) throw new FaultlineError('store_error', `PostgreSQL connection closed: ${this.closed.message}`);
    const id = ++this.seq;
    Atomics.store(this.signal, 0, 0);
    this.port.postMessage({ type: 'query', id, sql, params, reconnect: opts.reconnect ?? true });
    const reply = this.await(id, sql);
    if (reply.error) {
      throw new FaultlineError('store_error', `PostgreSQL: ${reply.error.message}`, { sqlstate: reply.error.code, ...(reply.error.detail ? { detail: reply.error.detail } : {}) });
    }
    return { rows: (reply.rows ?? []) as R[], rowCount: reply.rowCount ?? 0 };
  }

  private await(id: number, sql: string): Reply {
    const deadline = Date.now() + this.queryTimeoutMs;
    for (;;) {
      const got = receiveMessageOnPort(this.port);
      if (got) {
        const reply = got.message as Reply;
        if (reply.id === id) return reply;
        continue; // not ours (cannot happen: a timed-out worker is terminated); read on
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        this.closed = new Error(`no answer within ${this.queryTimeoutMs} ms`);
        void this.worker.terminate();
        throw new FaultlineError('store_error', `PostgreSQL did not answer within ${this.queryTimeoutMs} ms`, { sql: sql.slice(0, 200) });
      }
      // Sleeps until the worker raises the signal (or 100 ms pass, to look at the deadline again).
      Atomics.wait(this.signal, 0, 0, Math.min(left, 100));
    }
  }

  /** Closes the connection and the worker. */
  close(): void {
    if (this.closed) return;
    try {
      const id = ++this.seq;
      Atomics.store(this.signal, 0, 0);
      this.port.postMessage({ type: 'close', id });
      this.await(id, 'close');
    } catch {
      // closing a connection that already failed
    } finally {
      this.closed = new Error('closed');
      this.port.close();
      void this.worker.terminate();
    }
  }
}
