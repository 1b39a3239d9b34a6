import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { closeServer, listenOn } from '../../src/lib/listen.js';
import { APP_ID } from './slack-workspace.js';

export type SocketEnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

/** What Slack sends over the socket for each event (docs.slack.dev/apis/events-api/using-socket-mode). */
export interface SocketEnvelope {
  envelope_id: string;
  type: SocketEnvelopeType;
  payload: unknown;
  accepts_response_payload: boolean;
  retry_attempt?: number;
  retry_reason?: string;
}

/** What the app sends back: `{ envelope_id, payload? }`. @slack/socket-mode always sends a payload (`{}` when empty). */
export interface SocketAck {
  envelope_id: string;
  payload?: unknown;
}

export interface SocketSendOptions {
  retryAttempt?: number;
  retryReason?: string;
  acceptsResponsePayload?: boolean;
  /** How long to wait for the ack; Slack gives apps 3 s. */
  timeoutMs?: number;
}

const HOST = 'applink-faultline-stand-in';

/**
 * A Socket Mode stand-in: a `ws` server on 127.0.0.1 that speaks Slack's Socket Mode protocol. On connect it sends
 * `hello`; it pings every `pingIntervalMs` and answers the client's pings with pongs (ws autoPong), so
 * @slack/socket-mode's heartbeat stays satisfied; `send()` delivers one envelope and resolves with the ack.
 * Wire it to the Web API stand-in with `api.setSocketUrl(socket.url)`: the client gets the URL from apps.connections.open.
 */
export class SlackSocketStandIn {
  /** Every envelope sent and every ack received, in order. */
  readonly envelopes: SocketEnvelope[] = [];
  readonly acks: SocketAck[] = [];
  private readonly live = new Set<WebSocket>();
  private readonly pending = new Map<string, (ack: SocketAck) => void>();
  private readonly connectWaiters = new Set<() => void>();
  private readonly disconnectWaiters = new Set<() => void>();
  private connectionCount = 0;
  private pingCount = 0;
  private readonly ticket = randomUUID();

  private constructor(
    private readonly server: Server,
    private readonly wss: WebSocketServer,
    private readonly port: number,
    private readonly pingIntervalMs: number,
  ) {
    wss.on('connection', (ws) => this.onConnection(ws));
  }

  static async start(opts: { pingIntervalMs?: number } = {}): Promise<SlackSocketStandIn> {
    const server = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' });
      res.end('Upgrade Required');
    });
    const wss = new WebSocketServer({ server, path: '/link', autoPong: true });
    const port = await listenOn(server, 0, '127.0.0.1');
    return new SlackSocketStandIn(server, wss, port, opts.pingIntervalMs ?? 10_000);
  }

  /** The URL apps.connections.open should return. */
  get url(): string {
    return `ws://127.0.0.1:${this.port}/link?ticket=${this.ticket}&app_id=${APP_ID}`;
  }

  /** Connections accepted so far (a reconnect counts again). */
  get connections(): number {
    return this.connectionCount;
  }

  /** Open connections that have been sent `hello`. */
  get open(): number {
    return this.live.size;
  }

  /** Heartbeat pings received from clients (each answered with a pong). */
  get pingsReceived(): number {
    return this.pingCount;
  }

  /** Resolves once a client is connected and has been sent `hello` (at once if one already is). */
  waitForConnection(timeoutMs = 2000): Promise<void> {
    if (this.live.size > 0) return Promise.resolve();
    return this.nextConnection(timeoutMs);
  }

  /** Sends one envelope to the newest connection and resolves with the client's ack and how long it took. */
  send(type: SocketEnvelopeType, payload: unknown, opts: SocketSendOptions = {}): Promise<{ ack: SocketAck; ms: number }> {
    const ws = [...this.live].at(-1);
    if (!ws) return Promise.reject(new Error('no Socket Mode client is connected'));
    const envelope: SocketEnvelope = {
      envelope_id: randomUUID(),
      type,
      payload,
      accepts_response_payload: opts.acceptsResponsePayload ?? type !== 'events_api',
    };
    // Slack always puts retry fields on events_api envelopes; elsewhere only when asked.
    if (type === 'events_api' || opts.retryAttempt !== undefined) envelope.retry_attempt = opts.retryAttempt ?? 0;
    if (type === 'events_api' || opts.retryReason !== undefined) envelope.retry_reason = opts.retryReason ?? '';
    const timeoutMs = opts.timeoutMs ?? 3000;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelope.envelope_id);
        reject(new Error(`no ack for ${type} envelope ${envelope.envelope_id} within ${timeoutMs}ms`));
      }, timeoutMs);
      this.pending.set(envelope.envelope_id, (ack) => {
        clearTimeout(timer);
        resolve({ ack, ms: performance.now() - started });
      });
      this.envelopes.push(envelope);
      ws.send(JSON.stringify(envelope), (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(envelope.envelope_id);
        reject(err);
      });
    });
  }

  /**
   * Asks every client to reconnect, as Slack does when it recycles a connection
   * (`{ type: 'disconnect', reason: 'refresh_requested' }`), and resolves when a new connection has had `hello`.
   * @slack/socket-mode waits `clientPingTimeout` ms before it reconnects.
   */
  refresh(reason = 'refresh_requested', timeoutMs = 10_000): Promise<void> {
    const next = this.nextConnection(timeoutMs);
    for (const ws of this.live) ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: HOST } }));
    return next;
  }

  /**
   * Resolves once no client is connected. Bolt's `app.stop()` does not wait for the Socket Mode close handshake,
   * so await this before closing the stand-in (close() also allows a short grace for it).
   */
  waitForDisconnect(timeoutMs = 2000): Promise<void> {
    if (this.live.size === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.disconnectWaiters.delete(done);
        reject(new Error(`Socket Mode client still connected after ${timeoutMs}ms`));
      }, timeoutMs);
      this.disconnectWaiters.add(done);
    });
  }

  /** Closes the server; clients still connected after a 250 ms grace are cut off (and would try to reconnect). */
  async close(): Promise<void> {
    await this.waitForDisconnect(250).catch(() => undefined);
    for (const ws of this.wss.clients) ws.terminate();
    this.live.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await closeServer(this.server);
  }

  private nextConnection(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.connectWaiters.delete(done);
        reject(new Error(`no Socket Mode connection within ${timeoutMs}ms`));
      }, timeoutMs);
      this.connectWaiters.add(done);
    });
  }

  private onConnection(ws: WebSocket): void {
    this.connectionCount += 1;
    const heartbeat = setInterval(() => ws.ping(Buffer.from(`ping from ${HOST}`)), this.pingIntervalMs);
    heartbeat.unref();
    ws.on('ping', () => {
      this.pingCount += 1;
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      this.onMessage(data.toString());
    });
    ws.on('close', () => {
      clearInterval(heartbeat);
      this.live.delete(ws);
      if (this.live.size > 0) return;
      for (const w of [...this.disconnectWaiters]) {
        this.disconnectWaiters.delete(w);
        w();
      }
    });
    ws.on('error', () => ws.terminate());
    this.live.add(ws);
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.live.size,
        debug_info: { host: HOST, build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: APP_ID },
      }),
    );
    for (const w of [...this.connectWaiters]) {
      this.connectWaiters.delete(w);
      w();
    }
  }

  private onMessage(text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof msg !== 'object' || msg === null || !('envelope_id' in msg) || typeof msg.envelope_id !== 'string') return;
    const ack: SocketAck = { envelope_id: msg.envelope_id };
    if ('payload' in msg) ack.payload = msg.payload;
    this.acks.push(ack);
    const resolve = this.pending.get(ack.envelope_id);
    this.pending.delete(ack.envelope_id);
    resolve?.(ack);
  }
}
