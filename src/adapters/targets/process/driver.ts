/**
 * The `process` target driver: drives the sandbox fault proxy through its admin API. Inject is a
 * POST keyed by the handle id (so a retry never adds a second fault); revert is a DELETE that
 * treats 404 as already reverted and retries network errors and 5xx with backoff.
 */
import { FaultlineError, wrapError, errorText } from '../../../core/errors.js';
import type { AdapterDeps, DiscoverContext, FaultHandle, FaultSpec, ResolvedTarget, RevertReceipt, TargetContext, TargetDriver, TargetSpec } from '../../../core/ports.js';
import { ActiveFaultWire, SANDBOX_FAULT_PARAMS, SandboxFaultType, SandboxTargetWire } from '../../../sandbox/fault-spec.js';
import { PROCESS_FAULT_TYPES, processFaultSchema, processTargetSchema, type ProcessTargetConfig } from './schema.js';
import { sleep } from '../../../lib/sleep.js';

interface AdminResponse {
  status: number;
  body: unknown;
}

/** A call that never got an HTTP answer (refused, reset, timed out). */
class NetworkError extends Error {}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? errorText(err);
}


function describeBody(body: unknown): string {
  if (body && typeof body === 'object' && 'error' in body) {
    const b = body as { error: unknown; field?: unknown };
    return b.field ? `${String(b.error)} (field ${String(b.field)})` : String(b.error);
  }
  return typeof body === 'string' ? body.slice(0, 200) : JSON.stringify(body);
}

function toTarget(t: { id: string; service: string; replica: number }): ResolvedTarget {
  // Only what identifies the replica: pid, port and up change on a restart and would void the approved plan.
  return { id: t.id, name: t.id, kind: 'replica', attributes: { service: t.service, replica: String(t.replica) } };
}

function targetFromId(id: string): ResolvedTarget {
  const m = /^(.*)-(\d+)$/.exec(id);
  return toTarget({ id, service: m?.[1] ?? id, replica: Number(m?.[2] ?? 0) });
}

export function createProcessDriver(config: ProcessTargetConfig, _deps: AdapterDeps): TargetDriver {
  const baseUrl = config.adminUrl.replace(/\/+$/, '');

  async function call(method: string, url: string, body?: unknown, signal?: AbortSignal): Promise<AdminResponse> {
    const timeout = AbortSignal.timeout(config.requestTimeout);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
      });
    } catch (err) {
      const reason = timeout.aborted
        ? `timed out after ${config.requestTimeout} ms`
        : signal?.aborted
          ? 'aborted'
          : causeOf(err);
      throw new NetworkError(`${method} ${url} failed: ${reason}`, { cause: err });
    }
    // A body that cannot be read is an empty one: the status still says what happened.
    const text = await res.text().catch(() => '');
    let parsed: unknown = text;
    try {
      parsed = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      // keep the text for the error message
    }
    return { status: res.status, body: parsed };
  }

  async function getTargets(signal?: AbortSignal): Promise<ResolvedTarget[]> {
    const url = `${baseUrl}/targets`;
    try {
      const res = await call('GET', url, undefined, signal);
      if (res.status !== 200) throw new Error(`answered ${res.status}: ${describeBody(res.body)}`);
      const rows = SandboxTargetWire.array().safeParse(res.body);
      if (!rows.success) throw new Error(`unexpected answer: ${rows.error.issues[0]?.message ?? 'bad shape'}`);
      return rows.data.sort((a, b) => a.service.localeCompare(b.service) || a.replica - b.replica).map(toTarget);
    } catch (err) {
      throw wrapError('adapter_error', `could not list sandbox targets at ${url}`, err, { adminUrl: baseUrl });
    }
  }

  function toHandle(f: ActiveFaultWire, adminUrl: string, known: Map<string, ResolvedTarget>): FaultHandle {
    return {
      handleId: f.handleId,
      experimentId: f.experimentId,
      adapter: 'process',
      faultType: f.type,
      targets: f.targets.map((id) => known.get(id) ?? targetFromId(id)),
      appliedAt: f.appliedAt,
      expiresAt: f.expiresAt,
      data: { faultId: f.id, adminUrl, params: f.params },
    };
  }

  async function findFaultId(adminUrl: string, handleId: string): Promise<string | null> {
    const res = await call('GET', `${adminUrl}/faults`);
    if (res.status >= 500) throw new NetworkError(`GET ${adminUrl}/faults answered ${res.status}`);
    const rows = ActiveFaultWire.array().safeParse(res.body);
    if (res.status !== 200 || !rows.success) throw new Error(`GET ${adminUrl}/faults answered ${res.status}: ${describeBody(res.body)}`);
    return rows.data.find((f) => f.handleId === handleId)?.id ?? null;
  }

  return {
    kind: 'process',
    faultTypes: PROCESS_FAULT_TYPES,
    schemas: { target: processTargetSchema, fault: processFaultSchema },

    async preview(target: TargetSpec, ctx: DiscoverContext) {
      const selector: Record<string, string | undefined> = target.selector ?? {};
      // A key this adapter does not know would otherwise match everything: refuse it.
      const unknownKeys = Object.keys(selector).filter((k) => k !== 'service' && k !== 'replica');
      if (unknownKeys.length) {
        throw new FaultlineError('playbook_invalid', `the process adapter selects by service and replica only, not by ${unknownKeys.join(', ')}`);
      }
      const all = await getTargets(ctx.signal);
      return all.filter(
        (t) =>
          (selector.service === undefined || t.attributes.service === selector.service) &&
          (selector.replica === undefined || t.attributes.replica === selector.replica || t.id === selector.replica),
      );
    },

    async inject(fault: FaultSpec, targets: ResolvedTarget[], ctx: TargetContext) {
      const type = SandboxFaultType.safeParse(fault.type);
      if (!type.success) {
        throw new FaultlineError('inject_failed', `the process adapter has no fault "${fault.type}"; it offers ${PROCESS_FAULT_TYPES.join(', ')}`);
      }
      const params = SANDBOX_FAULT_PARAMS[type.data].safeParse(fault.parameters ?? {});
      if (!params.success) {
        const issue = params.error.issues[0];
        throw new FaultlineError('inject_failed', `invalid ${type.data} parameters: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim());
      }
      if (targets.length === 0) throw new FaultlineError('no_targets', 'nothing to inject into: no targets were selected');
      const body = {
        experimentId: ctx.experimentId,
        handleId: ctx.handleId,
        type: type.data,
        targets: targets.map((t) => t.id),
        params: params.data,
        expiresAt: ctx.expiresAt,
      };
      const url = `${baseUrl}/faults`;
      ctx.note('sandbox-fault', { adminUrl: baseUrl, type: body.type, targets: body.targets, params: body.params, expiresAt: body.expiresAt });
      // The POST is idempotent on handleId, so a call that got no answer can safely be tried again.
      let lastError: unknown;
      for (let attempt = 1; attempt <= 3; attempt += 1) {
        try {
          const res = await call('POST', url, body, ctx.signal);
          if (res.status === 200 || res.status === 201) {
            const wire = ActiveFaultWire.safeParse(res.body);
            if (!wire.success) throw new FaultlineError('inject_failed', `POST ${url} answered ${res.status} with an unexpected body`);
            const handle = toHandle(wire.data, baseUrl, new Map(targets.map((t) => [t.id, t])));
            ctx.log.info({ experimentId: ctx.experimentId, handleId: ctx.handleId, faultId: wire.data.id, type: body.type, targets: body.targets }, 'sandbox fault injected');
            return handle;
          }
          if (res.status < 500) {
            throw new FaultlineError('inject_failed', `POST ${url} answered ${res.status}: ${describeBody(res.body)}`, { status: res.status, adminUrl: baseUrl });
          }
          lastError = new Error(`POST ${url} answered ${res.status}: ${describeBody(res.body)}`);
        } catch (err) {
          if (!(err instanceof NetworkError) || ctx.signal?.aborted) throw wrapError('inject_failed', 'could not inject the fault', err, { adminUrl: baseUrl });
          lastError = err;
        }
        if (attempt < 3) await sleep(config.revertBackoff * attempt);
      }
      throw wrapError('inject_failed', `could not inject the fault through ${baseUrl}`, lastError, { adminUrl: baseUrl });
    },

    async revert(handle: FaultHandle, ctx: DiscoverContext) {
      const adminUrl = typeof handle.data.adminUrl === 'string' ? handle.data.adminUrl.replace(/\/+$/, '') : baseUrl;
      let faultId = typeof handle.data.faultId === 'string' ? handle.data.faultId : null;
      let wait = config.revertBackoff;
      let lastError: unknown;
      for (let attempt = 1; attempt <= config.revertAttempts; attempt += 1) {
        try {
          // A handle without a fault id (cut off mid-inject): find the fault by its handle id.
          faultId ??= await findFaultId(adminUrl, handle.handleId);
          if (faultId === null) {
            ctx.log.info({ handleId: handle.handleId, adminUrl }, 'no sandbox fault holds this handle; nothing to revert');
            return;
          }
          const res = await call('DELETE', `${adminUrl}/faults/${encodeURIComponent(faultId)}`, undefined, ctx.signal);
          if (res.status === 204 || res.status === 200 || res.status === 404) {
            ctx.log.info({ handleId: handle.handleId, faultId, adminUrl, alreadyGone: res.status === 404 }, 'sandbox fault reverted');
            return;
          }
          if (res.status < 500) {
            throw new FaultlineError('revert_failed', `could not revert fault ${faultId} at ${adminUrl}: DELETE answered ${res.status}: ${describeBody(res.body)}`, {
              faultId,
              adminUrl,
              status: res.status,
            });
          }
          lastError = new Error(`DELETE answered ${res.status}: ${describeBody(res.body)}`);
        } catch (err) {
          if (err instanceof FaultlineError) throw err;
          lastError = err;
          if (ctx.signal?.aborted) break;
        }
        if (attempt < config.revertAttempts) {
          ctx.log.warn({ handleId: handle.handleId, faultId, adminUrl, attempt, retryInMs: wait, err: lastError }, 'revert attempt failed; retrying');
          await sleep(wait);
          wait *= 2;
        }
      }
      const what = faultId ?? `for handle ${handle.handleId}`;
      throw wrapError('revert_failed', `could not revert fault ${what} at ${adminUrl} after ${config.revertAttempts} tries; it clears itself at ${new Date(handle.expiresAt).toISOString()}`, lastError, {
        faultId,
        adminUrl,
        handleId: handle.handleId,
      });
    },

    async confirmReverted(handle: FaultHandle, ctx: DiscoverContext): Promise<RevertReceipt> {
      const adminUrl = typeof handle.data.adminUrl === 'string' ? handle.data.adminUrl.replace(/\/+$/, '') : baseUrl;
      const url = `${adminUrl}/faults`;
      try {
        const res = await call('GET', url, undefined, ctx.signal);
        const rows = ActiveFaultWire.array().safeParse(res.body);
        if (res.status !== 200 || !rows.success) throw new Error(`GET ${url} answered ${res.status}: ${describeBody(res.body)}`);
        const left = rows.data.filter((f) => f.handleId === handle.handleId);
        if (left.length === 0) return { confirmed: true, differences: [], manualSteps: [] };
        return {
          confirmed: false,
          differences: left.map((f) => `sandbox fault ${f.id} (${f.type} on ${f.targets.join(', ')}) is still active`),
          manualSteps: left.map((f) => `curl -X DELETE ${adminUrl}/faults/${encodeURIComponent(f.id)}`),
        };
      } catch (err) {
        const why = errorText(err);
        return { confirmed: false, differences: [`could not read the sandbox's fault table: ${why}`], manualSteps: [`curl ${url} and DELETE any fault of handle ${handle.handleId}`] };
      }
    },

    async listOwned(ctx: DiscoverContext) {
      const url = `${baseUrl}/faults`;
      let rows: ActiveFaultWire[];
      try {
        const res = await call('GET', url, undefined, ctx.signal);
        const parsed = ActiveFaultWire.array().safeParse(res.body);
        if (res.status !== 200 || !parsed.success) throw new Error(`answered ${res.status}: ${describeBody(res.body)}`);
        rows = parsed.data;
      } catch (err) {
        throw wrapError('adapter_error', `could not list sandbox faults at ${url}`, err, { adminUrl: baseUrl });
      }
      if (rows.length === 0) return [];
      const known = new Map((await getTargets(ctx.signal)).map((t) => [t.id, t]));
      return rows.map((f) => toHandle(f, baseUrl, known));
    },
  };
}
