import type { AwsRequest, AwsResponse, AwsService, AwsStandIn } from './aws-standin.js';
import { TERMINAL, statusOf, type FisWorld, type FisAction, type FisExperiment, type FisTarget, type FisTemplate } from './fis-world.js';

export { FisWorld } from './fis-world.js';

/**
 * AWS FIS as @aws-sdk/client-fis meets it: REST-JSON (paths and bodies as in the FIS API reference
 * and the client's Aws_restJson1 serializers), timestamps as epoch seconds, errors with the
 * `x-amzn-errortype` header and a JSON `{ "message" }`, the request id in `x-amzn-requestid`,
 * pagination of the list calls by `maxResults`/`nextToken`, idempotency by `clientToken`.
 *
 * Where the reference does not say what FIS answers, the stand-in is strict and says so: stopping an
 * experiment that has already ended, and deleting a template while one of its experiments is still
 * active, are refused with ConflictException.
 */
export function registerFis(standIn: AwsStandIn, world: FisWorld): FisService {
  const service = new FisService(world);
  standIn.register('fis', service);
  return service;
}

class Refusal extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = statusOf(code),
  ) {
    super(message);
  }
}

const secs = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

interface Route {
  method: string;
  pattern: RegExp;
  /** The operation's name, as `failNext` and the call log name it. */
  operation: string;
  run: (req: AwsRequest, m: RegExpExecArray) => unknown;
}

export class FisService implements AwsService {
  /** Every operation served, in order (after injected errors and throttling). */
  readonly operations: string[] = [];
  private readonly routes: Route[];

  constructor(readonly world: FisWorld) {
    this.routes = [
      { method: 'GET', pattern: /^\/experimentTemplates$/, operation: 'ListExperimentTemplates', run: (req) => this.listTemplates(req) },
      { method: 'POST', pattern: /^\/experimentTemplates$/, operation: 'CreateExperimentTemplate', run: (req) => ({ experimentTemplate: this.templateJson(this.createTemplate(req)) }) },
      { method: 'GET', pattern: /^\/experimentTemplates\/([^/]+)$/, operation: 'GetExperimentTemplate', run: (_req, m) => ({ experimentTemplate: this.templateJson(this.template(m[1]!)) }) },
      { method: 'DELETE', pattern: /^\/experimentTemplates\/([^/]+)$/, operation: 'DeleteExperimentTemplate', run: (_req, m) => ({ experimentTemplate: this.templateJson(this.deleteTemplate(m[1]!)) }) },
      { method: 'POST', pattern: /^\/experiments$/, operation: 'StartExperiment', run: (req) => ({ experiment: this.experimentJson(this.start(req)) }) },
      { method: 'GET', pattern: /^\/experiments$/, operation: 'ListExperiments', run: (req) => this.listExperiments(req) },
      { method: 'GET', pattern: /^\/experiments\/([^/]+)$/, operation: 'GetExperiment', run: (_req, m) => ({ experiment: this.experimentJson(this.experiment(m[1]!)) }) },
      { method: 'DELETE', pattern: /^\/experiments\/([^/]+)$/, operation: 'StopExperiment', run: (_req, m) => ({ experiment: this.experimentJson(this.stop(m[1]!)) }) },
      { method: 'GET', pattern: /^\/tags\/(.+)$/, operation: 'ListTagsForResource', run: (_req, m) => ({ tags: { ...this.tagged(m[1]!) } }) },
      {
        method: 'POST',
        pattern: /^\/tags\/(.+)$/,
        operation: 'TagResource',
        run: (req, m) => {
          const tags = this.tagged(m[1]!);
          const body = this.json(req) as { tags?: Record<string, string> };
          if (!body.tags || Object.keys(body.tags).length === 0) throw new Refusal('ValidationException', 'tags must not be empty');
          Object.assign(tags, body.tags);
          return {};
        },
      },
      {
        method: 'DELETE',
        pattern: /^\/tags\/(.+)$/,
        operation: 'UntagResource',
        run: (req, m) => {
          const tags = this.tagged(m[1]!);
          for (const k of req.query.getAll('tagKeys')) delete tags[k];
          return {};
        },
      },
    ];
  }

  async handle(req: AwsRequest): Promise<AwsResponse> {
    const route = this.routes.find((r) => r.method === req.method && r.pattern.test(req.path));
    if (!route) return this.error(404, 'UnknownOperationException', `no FIS operation ${req.method} ${req.path}`, req.requestId);
    const m = route.pattern.exec(req.path)!;
    const before = this.world.takeInjected(route.operation, false);
    if (before) return this.error(before.status, before.code, before.message, req.requestId);
    try {
      const out = route.run(req, m);
      this.operations.push(route.operation);
      const lost = this.world.takeInjected(route.operation, true);
      if (lost) return this.error(lost.status, lost.code, lost.message, req.requestId);
      return { status: 200, headers: { 'content-type': 'application/json', 'x-amzn-requestid': req.requestId }, body: JSON.stringify(out) };
    } catch (err) {
      if (err instanceof Refusal) return this.error(err.status, err.code, err.message, req.requestId);
      throw err;
    }
  }

  error(status: number, code: string, message: string, requestId: string): AwsResponse {
    return {
      status,
      headers: { 'content-type': 'application/json', 'x-amzn-errortype': code, 'x-amzn-requestid': requestId },
      body: JSON.stringify({ message }),
    };
  }

  private json(req: AwsRequest): unknown {
    if (!req.body) return {};
    try {
      return JSON.parse(req.body);
    } catch {
      throw new Refusal('SerializationException', 'the request body is not JSON', 400);
    }
  }

  // ---- pagination ----

  private page<T>(req: AwsRequest, items: T[]): { items: T[]; nextToken?: string } {
    const max = req.query.get('maxResults');
    const size = max === null ? this.world.defaultPageSize : Number(max);
    if (!Number.isInteger(size) || size < 1 || size > 100) throw new Refusal('ValidationException', `1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100`);
    const token = req.query.get('nextToken');
    let offset = 0;
    if (token !== null) {
      const decoded = /^o:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
      if (!decoded) throw new Refusal('ValidationException', 'The nextToken is not valid.');
      offset = Number(decoded[1]);
    }
    const slice = items.slice(offset, offset + size);
    const next = offset + size < items.length ? Buffer.from(`o:${offset + size}`).toString('base64url') : undefined;
    return { items: slice, ...(next ? { nextToken: next } : {}) };
  }

  private listTemplates(req: AwsRequest): unknown {
    const all = [...this.world.templates.values()].filter((t) => t.region === req.region);
    const { items, nextToken } = this.page(req, all);
    return {
      experimentTemplates: items.map((t) => ({ id: t.id, arn: this.world.templateArn(t), description: t.description, creationTime: secs(t.creationTime), lastUpdateTime: secs(t.lastUpdateTime), tags: { ...t.tags } })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  private listExperiments(req: AwsRequest): unknown {
    const templateId = req.query.get('experimentTemplateId');
    const all = [...this.world.experiments.values()].filter((e) => e.region === req.region && (templateId === null || e.experimentTemplateId === templateId));
    const { items, nextToken } = this.page(req, all);
    return {
      experiments: items.map((e) => {
        const v = this.world.view(e);
        return { id: e.id, arn: this.world.experimentArn(e), experimentTemplateId: e.experimentTemplateId, state: { status: v.status, reason: v.reason }, creationTime: secs(e.creationTime), tags: { ...e.tags } };
      }),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  // ---- templates ----

  private template(id: string): FisTemplate {
    const t = this.world.templates.get(id);
    if (!t) throw new Refusal('ResourceNotFoundException', `Experiment template ${id} not found.`);
    return t;
  }

  private templateJson(t: FisTemplate): unknown {
    return {
      id: t.id,
      arn: this.world.templateArn(t),
      description: t.description,
      targets: structuredClone(t.targets),
      actions: structuredClone(t.actions),
      stopConditions: structuredClone(t.stopConditions),
      creationTime: secs(t.creationTime),
      lastUpdateTime: secs(t.lastUpdateTime),
      roleArn: t.roleArn,
      tags: { ...t.tags },
      experimentOptions: { accountTargeting: 'single-account', emptyTargetResolutionMode: 'fail' },
    };
  }

  private createTemplate(req: AwsRequest): FisTemplate {
    const body = this.json(req) as {
      clientToken?: string;
      description?: string;
      stopConditions?: Array<{ source?: string; value?: string }>;
      targets?: Record<string, Partial<FisTarget>>;
      actions?: Record<string, Partial<FisAction>>;
      roleArn?: string;
      tags?: Record<string, string>;
    };
    const known = this.world.byToken('CreateExperimentTemplate', body.clientToken);
    if (known && this.world.templates.has(known)) return this.world.templates.get(known)!;
    const missing = (['description', 'stopConditions', 'actions', 'roleArn'] as const).filter((k) => body[k] === undefined);
    if (missing.length) throw new Refusal('ValidationException', `${missing.length} validation error(s) detected: ${missing.map((k) => `'${k}' must not be null`).join('; ')}`);
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\//.test(body.roleArn!)) throw new Refusal('ValidationException', `Invalid role ARN: ${body.roleArn}`);
    const stopConditions = body.stopConditions!.map((s) => {
      if (s.source !== 'none' && s.source !== 'aws:cloudwatch:alarm') throw new Refusal('ValidationException', `Invalid stop condition source: ${s.source}`);
      if (s.source === 'aws:cloudwatch:alarm' && !s.value) throw new Refusal('ValidationException', 'A CloudWatch alarm stop condition needs the alarm ARN as value');
      return { source: s.source, ...(s.value ? { value: s.value } : {}) };
    });
    const targets: Record<string, FisTarget> = {};
    for (const [name, t] of Object.entries(body.targets ?? {})) {
      if (!t.resourceType || !t.selectionMode) throw new Refusal('ValidationException', `Target ${name}: resourceType and selectionMode are required`);
      if (!t.resourceArns?.length && !t.resourceTags && !t.parameters) throw new Refusal('ValidationException', `Target ${name}: specify resourceArns, resourceTags or parameters`);
      if (t.resourceArns?.length && t.resourceTags) throw new Refusal('ValidationException', `Target ${name}: resourceArns and resourceTags cannot both be set`);
      if ((t.resourceArns?.length ?? 0) > 5) throw new Refusal('ValidationException', `Target ${name}: at most 5 resourceArns`);
      targets[name] = structuredClone(t) as FisTarget;
    }
    const actions: Record<string, FisAction> = {};
    const names = Object.keys(body.actions!);
    if (names.length === 0) throw new Refusal('ValidationException', 'An experiment template needs at least one action');
    for (const [name, a] of Object.entries(body.actions!)) {
      if (!a.actionId || !/^aws:[a-z0-9-]+:[a-z0-9-]+$/.test(a.actionId)) throw new Refusal('ValidationException', `Action ${name}: invalid actionId ${String(a.actionId)}`);
      for (const ref of Object.values(a.targets ?? {})) if (!(ref in targets)) throw new Refusal('ValidationException', `Action ${name} references target ${ref}, which is not defined`);
      for (const after of a.startAfter ?? []) if (!names.includes(after)) throw new Refusal('ValidationException', `Action ${name} starts after ${after}, which is not defined`);
      actions[name] = structuredClone(a) as FisAction;
    }
    const t = this.world.addTemplate({ region: req.region, description: body.description!, targets, actions, stopConditions, roleArn: body.roleArn!, tags: body.tags ?? {} });
    this.world.rememberToken('CreateExperimentTemplate', body.clientToken, t.id);
    return t;
  }

  private deleteTemplate(id: string): FisTemplate {
    const t = this.template(id);
    const active = this.world.activeExperiments().filter((e) => e.experimentTemplateId === id);
    if (active.length) throw new Refusal('ConflictException', `Experiment template ${id} has active experiments: ${active.map((e) => e.id).join(', ')}`);
    this.world.templates.delete(id);
    return t;
  }

  // ---- experiments ----

  private experiment(id: string): FisExperiment {
    const e = this.world.experiments.get(id);
    if (!e) throw new Refusal('ResourceNotFoundException', `Experiment ${id} not found.`);
    return e;
  }

  private experimentJson(e: FisExperiment): unknown {
    const v = this.world.view(e);
    const actionStatus = v.status === 'initiating' ? 'pending' : v.status === 'stopping' ? 'stopping' : v.status;
    return {
      id: e.id,
      arn: this.world.experimentArn(e),
      experimentTemplateId: e.experimentTemplateId,
      roleArn: e.roleArn,
      state: { status: v.status, reason: v.reason },
      targets: structuredClone(e.targets),
      actions: Object.fromEntries(
        Object.entries(e.actions).map(([name, a]) => [
          name,
          { ...structuredClone(a), state: { status: actionStatus, reason: v.reason }, ...(v.startTime !== undefined ? { startTime: secs(v.startTime) } : {}), ...(v.endTime !== undefined ? { endTime: secs(v.endTime) } : {}) },
        ]),
      ),
      stopConditions: structuredClone(e.stopConditions),
      creationTime: secs(e.creationTime),
      ...(v.startTime !== undefined ? { startTime: secs(v.startTime) } : {}),
      ...(v.endTime !== undefined ? { endTime: secs(v.endTime) } : {}),
      tags: { ...e.tags },
      experimentOptions: { accountTargeting: 'single-account', emptyTargetResolutionMode: 'fail', actionsMode: 'run-all' },
    };
  }

  private start(req: AwsRequest): FisExperiment {
    const body = this.json(req) as { clientToken?: string; experimentTemplateId?: string; tags?: Record<string, string> };
    if (!body.clientToken) throw new Refusal('ValidationException', "1 validation error detected: 'clientToken' must not be null");
    if (!body.experimentTemplateId) throw new Refusal('ValidationException', "1 validation error detected: 'experimentTemplateId' must not be null");
    const known = this.world.byToken('StartExperiment', body.clientToken);
    if (known) {
      const e = this.world.experiments.get(known)!;
      if (e.experimentTemplateId !== body.experimentTemplateId) throw new Refusal('ConflictException', `The client token ${body.clientToken} was used for another request.`);
      return e;
    }
    const template = this.template(body.experimentTemplateId);
    if (template.region !== req.region) throw new Refusal('ResourceNotFoundException', `Experiment template ${template.id} not found.`);
    if (Object.keys(body.tags ?? {}).length > 50) throw new Refusal('ValidationException', 'At most 50 tags');
    if (this.world.activeExperiments().length >= this.world.maxActive) throw new Refusal('ServiceQuotaExceededException', 'You have reached the maximum number of active experiments.');
    const e = this.world.startExperiment(template, body.clientToken, body.tags ?? {});
    this.world.rememberToken('StartExperiment', body.clientToken, e.id);
    return e;
  }

  private stop(id: string): FisExperiment {
    const e = this.experiment(id);
    const v = this.world.view(e);
    if (TERMINAL.includes(v.status)) throw new Refusal('ConflictException', `Experiment ${id} is ${v.status} and cannot be stopped.`);
    if (v.status !== 'stopping') e.stopRequestedAt = this.world.now();
    return e;
  }

  /** The tags of the template or experiment an ARN names (the same object: changing it changes the resource). */
  private tagged(arn: string): Record<string, string> {
    const m = /^arn:aws[a-z-]*:fis:[a-z0-9-]+:\d{12}:(experiment-template|experiment)\/(.+)$/.exec(arn);
    if (!m) throw new Refusal('ValidationException', `Invalid resource ARN: ${arn}`);
    const found = m[1] === 'experiment' ? this.world.experiments.get(m[2]!) : this.world.templates.get(m[2]!);
    if (!found) throw new Refusal('ResourceNotFoundException', `Resource ${arn} not found.`);
    return found.tags;
  }
}
