import { randomBytes } from 'node:crypto';

/**
 * What the FIS stand-in holds: experiment templates and experiments, with their state read off the
 * clock (no timers): an experiment is `initiating` for `initiatingMs`, then `running` for its
 * template's `runMs`, then `completed` (or `failed`, as the template says); a stop makes it
 * `stopping` for `stoppingMs`, then `stopped`.
 */

export type FisStatus = 'pending' | 'initiating' | 'running' | 'completed' | 'stopping' | 'stopped' | 'failed';
export const TERMINAL: readonly FisStatus[] = ['completed', 'stopped', 'failed'];

export interface FisTarget {
  resourceType: string;
  resourceArns?: string[];
  resourceTags?: Record<string, string>;
  filters?: Array<{ path: string; values: string[] }>;
  selectionMode: string;
  parameters?: Record<string, string>;
}
export interface FisAction {
  actionId: string;
  description?: string;
  parameters?: Record<string, string>;
  targets?: Record<string, string>;
  startAfter?: string[];
}
export interface FisStopCondition {
  source: string;
  value?: string;
}

export interface FisTemplate {
  id: string;
  region: string;
  description: string;
  targets: Record<string, FisTarget>;
  actions: Record<string, FisAction>;
  stopConditions: FisStopCondition[];
  roleArn: string;
  tags: Record<string, string>;
  creationTime: number;
  lastUpdateTime: number;
  /** How long its experiments run before they end by themselves, and how they end. */
  runMs?: number;
  endsAs?: 'completed' | 'failed';
  endReason?: string;
}

export interface FisExperiment {
  id: string;
  region: string;
  experimentTemplateId: string;
  clientToken: string;
  roleArn: string;
  targets: Record<string, FisTarget>;
  actions: Record<string, FisAction>;
  stopConditions: FisStopCondition[];
  tags: Record<string, string>;
  creationTime: number;
  runMs: number;
  endsAs: 'completed' | 'failed';
  endReason?: string;
  stopRequestedAt?: number;
  /** Set by `endExperiment`: the experiment ended this way at this time, whatever its clock says. */
  forced?: { status: 'completed' | 'failed' | 'stopped'; at: number; reason: string };
}

export interface ExperimentView {
  status: FisStatus;
  reason: string;
  startTime?: number;
  endTime?: number;
}

/** One injected error: the next `left` calls of `action` (as the stand-in names it, `METHOD /path-pattern`) get it. */
interface Injected {
  action: string;
  status: number;
  code: string;
  message: string;
  left: number;
  /** Apply the call, then answer with the error anyway (an answer lost on its way back). */
  afterApply: boolean;
}

const alnum = (n: number) =>
  [...randomBytes(n)]
    .map((b) => 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'[b % 62])
    .join('');

export class FisWorld {
  readonly templates = new Map<string, FisTemplate>();
  readonly experiments = new Map<string, FisExperiment>();
  readonly account: string;
  initiatingMs = 20;
  /** Default run time of an experiment whose template says none. */
  runMs = 60_000;
  stoppingMs = 50;
  /** Page size of the list calls when the request names no maxResults. */
  defaultPageSize = 100;
  /** Experiments that may be active at once (initiating, running or stopping); more is ServiceQuotaExceededException. */
  maxActive = 100;
  private readonly injected: Injected[] = [];
  /** Idempotency: operation + client token → the id it created. */
  private readonly tokens = new Map<string, string>();

  constructor(opts: { account?: string; now?: () => number } = {}) {
    this.account = opts.account ?? '123456789012';
    if (opts.now) this.now = opts.now;
  }

  now: () => number = () => Date.now();

  templateArn(t: Pick<FisTemplate, 'id' | 'region'>): string {
    return `arn:aws:fis:${t.region}:${this.account}:experiment-template/${t.id}`;
  }

  experimentArn(e: Pick<FisExperiment, 'id' | 'region'>): string {
    return `arn:aws:fis:${e.region}:${this.account}:experiment/${e.id}`;
  }

  /** A template as if created in the console (tests seed the ones playbooks name). */
  addTemplate(t: Partial<Omit<FisTemplate, 'id' | 'creationTime' | 'lastUpdateTime'>> & { id?: string }): FisTemplate {
    const at = this.now();
    const template: FisTemplate = {
      id: t.id ?? `EXT${alnum(14)}`,
      region: t.region ?? 'eu-west-1',
      description: t.description ?? 'a template',
      targets: t.targets ?? {},
      actions: t.actions ?? { wait: { actionId: 'aws:fis:wait', parameters: { duration: 'PT1M' } } },
      stopConditions: t.stopConditions ?? [{ source: 'none' }],
      roleArn: t.roleArn ?? `arn:aws:iam::${this.account}:role/fis-runner`,
      tags: t.tags ?? {},
      creationTime: at,
      lastUpdateTime: at,
      ...(t.runMs !== undefined ? { runMs: t.runMs } : {}),
      ...(t.endsAs ? { endsAs: t.endsAs } : {}),
      ...(t.endReason ? { endReason: t.endReason } : {}),
    };
    this.templates.set(template.id, template);
    return template;
  }

  /** Idempotent create: the same client token for the same operation gives the same id. */
  byToken(operation: string, token: string | undefined): string | undefined {
    return token === undefined ? undefined : this.tokens.get(`${operation}\u0000${token}`);
  }

  rememberToken(operation: string, token: string | undefined, id: string): void {
    if (token !== undefined) this.tokens.set(`${operation}\u0000${token}`, id);
  }

  startExperiment(template: FisTemplate, clientToken: string, tags: Record<string, string>): FisExperiment {
    const e: FisExperiment = {
      id: `EXP${alnum(14)}`,
      region: template.region,
      experimentTemplateId: template.id,
      clientToken,
      roleArn: template.roleArn,
      targets: structuredClone(template.targets),
      actions: structuredClone(template.actions),
      stopConditions: structuredClone(template.stopConditions),
      tags: { ...tags },
      creationTime: this.now(),
      runMs: template.runMs ?? this.runMs,
      endsAs: template.endsAs ?? 'completed',
      ...(template.endReason ? { endReason: template.endReason } : {}),
    };
    this.experiments.set(e.id, e);
    return e;
  }

  /** Where an experiment is now, read off the clock. */
  view(e: FisExperiment): ExperimentView {
    const t = this.now();
    const started = e.creationTime + this.initiatingMs;
    const ends = started + e.runMs;
    if (e.forced && e.forced.at <= t && (e.stopRequestedAt === undefined || e.forced.at <= e.stopRequestedAt)) {
      return { status: e.forced.status, reason: e.forced.reason, startTime: Math.min(started, e.forced.at), endTime: e.forced.at };
    }
    if (e.stopRequestedAt !== undefined && e.stopRequestedAt < ends) {
      const stoppedAt = e.stopRequestedAt + this.stoppingMs;
      if (t < stoppedAt) return { status: 'stopping', reason: 'Stopping the experiment.', ...(e.stopRequestedAt >= started ? { startTime: started } : {}) };
      return { status: 'stopped', reason: 'Experiment stopped.', ...(e.stopRequestedAt >= started ? { startTime: started } : {}), endTime: stoppedAt };
    }
    if (t < started) return { status: 'initiating', reason: 'Experiment is initiating.' };
    if (t < ends) return { status: 'running', reason: 'Experiment is running.', startTime: started };
    return e.endsAs === 'failed'
      ? { status: 'failed', reason: e.endReason ?? 'An action failed.', startTime: started, endTime: ends }
      : { status: 'completed', reason: e.endReason ?? 'Experiment completed.', startTime: started, endTime: ends };
  }

  isActive(e: FisExperiment): boolean {
    return !TERMINAL.includes(this.view(e).status);
  }

  /** Ends an experiment now, as FIS would on a stop condition (`stopped`), an action failing (`failed`) or its last action done (`completed`). */
  endExperiment(id: string, status: 'completed' | 'failed' | 'stopped', reason?: string): void {
    const e = this.experiments.get(id);
    if (!e) throw new Error(`no experiment ${id}`);
    e.forced = { status, at: this.now(), reason: reason ?? { completed: 'Experiment completed.', failed: 'An action failed.', stopped: 'Stop condition triggered.' }[status] };
  }

  /** The next `n` calls of `action` (e.g. `StartExperiment`, `GetExperiment`) fail with this error. */
  failNext(action: string, code: string, opts: { status?: number; message?: string; n?: number } = {}): void {
    this.injected.push({ action, code, status: opts.status ?? statusOf(code), message: opts.message ?? `${code} injected by the test`, left: opts.n ?? 1, afterApply: false });
  }

  /** The next call of `action` is carried out, but its answer is an InternalServerException (a lost answer; the SDK retries it). */
  dropAnswerNext(action: string): void {
    this.injected.push({ action, code: 'InternalServerException', status: 500, message: 'We encountered an internal error. Please try again.', left: 1, afterApply: true });
  }

  /** The error to answer `action` with now, if one was injected; `afterApply` errors are taken by `takeAfterApply`. */
  takeInjected(action: string, afterApply: boolean): { status: number; code: string; message: string } | undefined {
    const i = this.injected.find((x) => x.left > 0 && x.action === action && x.afterApply === afterApply);
    if (!i) return undefined;
    i.left -= 1;
    return { status: i.status, code: i.code, message: i.message };
  }

  activeExperiments(): FisExperiment[] {
    return [...this.experiments.values()].filter((e) => this.isActive(e));
  }
}

/** HTTP status of each FIS error code (FIS API reference, "Errors"). */
export function statusOf(code: string): number {
  switch (code) {
    case 'ValidationException':
      return 400;
    case 'ResourceNotFoundException':
      return 404;
    case 'ConflictException':
      return 409;
    case 'ServiceQuotaExceededException':
      return 402;
    case 'ThrottlingException':
      return 429;
    case 'AccessDeniedException':
      return 403;
    default:
      return 500;
  }
}
