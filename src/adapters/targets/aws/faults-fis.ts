/**
 * The FIS family of the `aws` driver: `fis-experiment` starts an existing experiment template,
 * `fis-action` builds a one-off template from inline actions and targets, starts it, and deletes it at
 * the end. Every experiment started (and every one-off template) carries Faultline's tags, so
 * `listOwned` finds what is still in from AWS alone; the start's client token is the handle id, so
 * a retried start never starts twice. Revert is StopExperiment (an experiment that already ended is
 * fine) and, for fis-action, DeleteExperimentTemplate.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateExperimentTemplateCommand,
  DeleteExperimentTemplateCommand,
  GetExperimentTemplateCommand,
  StartExperimentCommand,
  type FisClient,
} from '@aws-sdk/client-fis';
import { FaultlineError } from '../../../core/errors.js';
import { formatIssues } from '../../../core/format-issues.js';
import { formatDuration } from '../../../core/duration.js';
import type { AdapterLogger, DiscoverContext, FaultHandle, FaultSpec, ResolvedTarget, RevertReceipt, TargetContext, TargetSpec } from '../../../core/ports.js';
import { AWS_TAGS, type AwsFaultFamily } from './fault-family.js';
import { isAwsError, wrapAwsError } from './fis-errors.js';
import { FisExperiments } from './fis-experiments.js';
import { FisFollowers, isTerminal } from './fis-follow.js';
import { describeFisTarget } from './fis-describe.js';
import { actionLine, definitionsOf, findTemplate, listAllTemplates, previewInline, targetLine, templateAsTarget, templateTargets } from './fis-preview.js';
import { FisHandleData, handlesFromTags, ownerTags, type TaggedResource } from './fis-tags.js';
import { FIS_FAULT_TYPES, FisActionParams, FisExperimentParams, fisResolvedTarget, isFisTarget, type FisFaultType, type FisResolvedTarget } from './schema-fis.js';

export interface FisFaultDeps {
  fis: FisClient;
  /** For resolving subnet targets by tag at preview; without it a FIS target is previewed as its definition. */
  ec2?: EC2Client;
  region: string;
  log: AdapterLogger;
  now: () => number;
  /** How often a started experiment is read to learn whether it ended by itself (default 5 s). */
  pollMs?: number;
  /** How long a revert waits for a stopping experiment to stop before deleting its one-off template (default 60 s). */
  stopWaitMs?: number;
}

const ACTIVE = new Set(['pending', 'initiating', 'running', 'stopping']);
const opts = (signal?: AbortSignal) => (signal ? { abortSignal: signal } : {});
const isFaultType = (t: string): t is FisFaultType => (FIS_FAULT_TYPES as readonly string[]).includes(t);

/** The family, plus `close` (stops following the experiments it started; the driver's close calls it). */
export type FisFaults = AwsFaultFamily & { close(): void };

export function createFisFaults(deps: FisFaultDeps): FisFaults {
  const { fis, region, log } = deps;
  const followers = new FisFollowers(fis, log, deps.now, deps.pollMs ?? 5_000);
  const experiments = new FisExperiments(fis, deps.now, deps.stopWaitMs ?? 60_000, Math.min(250, deps.pollMs ?? 250));

  function parseTarget(target: TargetSpec): FisResolvedTarget {
    const spec = fisResolvedTarget.safeParse(target);
    if (!spec.success) throw new FaultlineError('playbook_invalid', `invalid FIS target:\n${formatIssues(spec.error.issues, ['target'])}`);
    if (spec.data.region !== undefined && spec.data.region !== region) {
      throw new FaultlineError('playbook_invalid', `target.region ${spec.data.region} is not where this FIS client runs (${region})`);
    }
    return spec.data;
  }

  function params(fault: FaultSpec, code: 'inject_failed' | 'playbook_invalid'): { type: 'fis-experiment'; action?: undefined } | { type: 'fis-action'; action: FisActionParams } {
    if (!isFaultType(fault.type)) throw new FaultlineError(code, `the FIS family has no fault "${fault.type}"; it offers ${FIS_FAULT_TYPES.join(', ')}`);
    const invalid = (issues: Parameters<typeof formatIssues>[0]) => new FaultlineError(code, `invalid ${fault.type} parameters:\n${formatIssues(issues, ['fault', 'parameters'])}`);
    if (fault.type === 'fis-action') {
      const p = FisActionParams.safeParse(fault.parameters ?? {});
      if (!p.success) throw invalid(p.error.issues);
      return { type: 'fis-action', action: p.data };
    }
    const p = FisExperimentParams.safeParse(fault.parameters ?? {});
    if (!p.success) throw invalid(p.error.issues);
    return { type: 'fis-experiment' };
  }

  /** Which kind of FIS target each fault needs, checked against what was resolved. */
  function checkTargets(type: FisFaultType, targets: readonly ResolvedTarget[], code: 'inject_failed' | 'playbook_invalid'): void {
    if (targets.length === 0) throw new FaultlineError('no_targets', 'nothing to inject into: no targets were selected');
    const templates = targets.filter((t) => t.kind === 'fis-template');
    if (type === 'fis-experiment' && (templates.length !== 1 || targets.length !== 1)) {
      throw new FaultlineError(code, 'fis-experiment starts one experiment template: give the playbook target.template (an EXT… id or { tags })');
    }
    if (type === 'fis-action' && templates.length > 0) {
      throw new FaultlineError(code, 'fis-action builds its own template from target.fisTargets and the actions; to run an existing template use fis-experiment');
    }
  }

  /** Every FIS target an action names must be one of the approved ones. */
  function checkActionTargets(p: FisActionParams, names: readonly string[], code: 'inject_failed' | 'playbook_invalid'): void {
    for (const [name, a] of Object.entries(p.actions)) {
      for (const ref of Object.values(a.targets ?? {})) {
        if (!names.includes(ref)) throw new FaultlineError(code, `action ${name} targets "${ref}", which is not one of target.fisTargets with approved resources (${names.join(', ') || 'none'})`);
      }
    }
  }

  async function start(templateId: string, type: FisFaultType, ctx: TargetContext): Promise<string> {
    ctx.note('fis-experiment-start', { templateId, region, clientToken: ctx.handleId });
    try {
      const out = await fis.send(new StartExperimentCommand({ clientToken: ctx.handleId, experimentTemplateId: templateId, tags: ownerTags(ctx, type) }), opts(ctx.signal));
      const id = out.experiment?.id;
      if (!id) throw new FaultlineError('inject_failed', `FIS answered StartExperiment for ${templateId} without an experiment id`);
      return id;
    } catch (err) {
      throw wrapAwsError('inject_failed', `could not start FIS experiment template ${templateId}`, err, { templateId });
    }
  }

  async function createTemplate(p: FisActionParams, targets: readonly ResolvedTarget[], ctx: TargetContext): Promise<string> {
    const { targets: fisTargets, unpinned } = templateTargets(definitionsOf(targets));
    checkActionTargets(p, Object.keys(fisTargets), 'inject_failed');
    if (unpinned.length) ctx.log.warn({ experimentId: ctx.experimentId, handleId: ctx.handleId, unpinned }, 'more resources than FIS takes by ARN; FIS resolves these targets again at start');
    ctx.note('fis-template-create', { region, targets: Object.keys(fisTargets), actions: Object.keys(p.actions) });
    try {
      const out = await fis.send(
        new CreateExperimentTemplateCommand({
          clientToken: `${ctx.handleId}-template`,
          description: `Faultline ${ctx.experimentId} (${ctx.handleId}): one-off template, deleted when the experiment ends`,
          stopConditions: [{ source: 'none' }],
          targets: fisTargets,
          actions: p.actions,
          roleArn: p.roleArn,
          tags: ownerTags(ctx, 'fis-action'),
        }),
        opts(ctx.signal),
      );
      const id = out.experimentTemplate?.id;
      if (!id) throw new FaultlineError('inject_failed', 'FIS answered CreateExperimentTemplate without a template id');
      return id;
    } catch (err) {
      throw wrapAwsError('inject_failed', 'could not create the one-off FIS experiment template', err);
    }
  }

  function handleData(handle: FaultHandle, code: 'revert_failed' | 'adapter_error'): FisHandleData {
    const data = FisHandleData.safeParse(handle.data ?? {});
    if (!data.success) throw new FaultlineError(code, `handle ${handle.handleId} has unreadable data: ${formatIssues(data.error.issues, ['data'])}`);
    return data.data;
  }

  return {
    faultTypes: FIS_FAULT_TYPES,

    close: () => followers.stopAll(),

    ownsTarget: (target: TargetSpec) => isFisTarget(target),

    async preview(target: TargetSpec, ctx: DiscoverContext) {
      const spec = parseTarget(target);
      if ('template' in spec) {
        const t = await findTemplate(spec, { fis, region }, ctx.signal);
        if (t.tags?.[AWS_TAGS.protected] === 'true') throw new FaultlineError('protected_target', `FIS experiment template ${t.id} is tagged ${AWS_TAGS.protected}=true`);
        return [templateAsTarget(t, region)];
      }
      return previewInline(spec, { fis, ec2: deps.ec2, region }, ctx.signal);
    },

    describeTarget(target: TargetSpec, resolved: readonly ResolvedTarget[]) {
      return describeFisTarget(parseTarget(target), resolved, region);
    },

    async impact(fault: FaultSpec, targets: readonly ResolvedTarget[], ctx: DiscoverContext) {
      const parsed = params(fault, 'playbook_invalid');
      const type = parsed.type;
      checkTargets(type, targets, 'playbook_invalid');
      const limit = `Faultline stops it after ${formatDuration(Number(fault.duration))} at most, or at once on a guardrail breach or an abort`;
      if (type === 'fis-experiment') {
        const templateId = targets[0]!.attributes.templateId!;
        const t = await findTemplate({ adapter: 'aws', template: templateId } as FisResolvedTarget & { template: unknown }, { fis, region }, ctx.signal);
        const stops = (t.stopConditions ?? []).filter((s) => s.source !== 'none').map((s) => s.value ?? s.source ?? '?');
        return [
          ...Object.entries(t.actions ?? {}).map(([n, a]) => actionLine(n, a)),
          ...Object.entries(t.targets ?? {}).map(([n, x]) => targetLine(n, x)),
          stops.length ? `the template's own stop conditions: ${stops.join(', ')}` : "the template has no stop conditions of its own: Faultline's guardrails are the only ones",
          limit,
        ];
      }
      const action = parsed.action!;
      const { targets: fisTargets, unpinned } = templateTargets(definitionsOf(targets));
      checkActionTargets(action, Object.keys(fisTargets), 'playbook_invalid');
      return [
        ...Object.entries(action.actions).map(([n, a]) => actionLine(n, a)),
        ...Object.entries(fisTargets).map(([n, x]) => targetLine(n, x)),
        ...unpinned.map((n) => `target ${n}: more resources than FIS takes by ARN, so FIS resolves it again by tags at start`),
        `runs as ${action.roleArn}, from a one-off template (tagged ${AWS_TAGS.handle}) deleted at the end`,
        limit,
      ];
    },

    async inject(fault: FaultSpec, targets: ResolvedTarget[], ctx: TargetContext): Promise<FaultHandle> {
      const parsed = params(fault, 'inject_failed');
      const type = parsed.type;
      checkTargets(type, targets, 'inject_failed');
      let templateId: string;
      let fisExperimentId: string;
      if (type === 'fis-experiment') {
        templateId = targets[0]!.attributes.templateId!;
        fisExperimentId = await start(templateId, type, ctx);
      } else {
        templateId = await createTemplate(parsed.action!, targets, ctx);
        try {
          fisExperimentId = await start(templateId, type, ctx);
        } catch (err) {
          // Nothing runs: the template goes too (if this fails, its tags lead reconcile to it).
          await fis.send(new DeleteExperimentTemplateCommand({ id: templateId })).catch((e: unknown) => log.warn({ handleId: ctx.handleId, templateId, err: e }, 'could not delete the one-off FIS template after a failed start; reconcile deletes it'));
          throw err;
        }
      }
      const data: FisHandleData = { region, templateId, fisExperimentId, inlineTemplate: type === 'fis-action' };
      log.info({ experimentId: ctx.experimentId, handleId: ctx.handleId, fault: type, templateId, fisExperimentId }, 'FIS experiment started');
      followers.follow(fisExperimentId, templateId, ctx);
      return { handleId: ctx.handleId, experimentId: ctx.experimentId, adapter: 'aws', faultType: type, targets, appliedAt: ctx.now(), expiresAt: ctx.expiresAt, data };
    },

    async revert(handle: FaultHandle, ctx: DiscoverContext) {
      followers.stop(handle.handleId);
      const data = handleData(handle, 'revert_failed');
      let ids: string[];
      try {
        ids = await experiments.of(handle, data, ctx.signal);
        for (const id of ids) await experiments.stop(id, ctx);
      } catch (err) {
        throw wrapAwsError('revert_failed', `could not stop the FIS experiment of ${handle.handleId}`, err, { handleId: handle.handleId });
      }
      if (!data.inlineTemplate || !data.templateId) return;
      const templateId = data.templateId;
      try {
        for (const id of ids) await experiments.waitStopped(id, ctx);
        await fis.send(new DeleteExperimentTemplateCommand({ id: templateId }), opts(ctx.signal));
        ctx.log.info({ handleId: handle.handleId, templateId }, 'one-off FIS template deleted');
      } catch (err) {
        if (isAwsError(err, 'ResourceNotFoundException')) return;
        throw wrapAwsError('revert_failed', `could not delete the one-off FIS template ${templateId} of ${handle.handleId}`, err, { handleId: handle.handleId, templateId });
      }
    },

    async confirmReverted(handle: FaultHandle, ctx: DiscoverContext): Promise<RevertReceipt> {
      const data = FisHandleData.safeParse(handle.data ?? {});
      if (!data.success) {
        return {
          confirmed: false,
          differences: [`handle ${handle.handleId} has unreadable data (${formatIssues(data.error.issues, ['data'])}), so what it started cannot be read back`],
          manualSteps: [`aws fis list-experiments --region ${region} --query "experiments[?tags.\\"${AWS_TAGS.handle}\\"=='${handle.handleId}']"`],
        };
      }
      const d = data.data;
      const differences: string[] = [];
      const manualSteps: string[] = [];
      try {
        for (const id of await experiments.of(handle, d, ctx.signal)) {
          const s = await experiments.status(id, ctx.signal);
          if (s && !isTerminal(s.status)) {
            differences.push(`FIS experiment ${id} is ${s.status}`);
            manualSteps.push(`aws fis stop-experiment --id ${id} --region ${d.region}`);
          }
        }
        if (d.inlineTemplate && d.templateId) {
          const exists = await fis.send(new GetExperimentTemplateCommand({ id: d.templateId }), opts(ctx.signal)).then(
            () => true,
            (err: unknown) => {
              if (isAwsError(err, 'ResourceNotFoundException')) return false;
              throw err;
            },
          );
          if (exists) {
            differences.push(`one-off FIS template ${d.templateId} still exists`);
            manualSteps.push(`aws fis delete-experiment-template --id ${d.templateId} --region ${d.region}`);
          }
        }
      } catch (err) {
        throw wrapAwsError('adapter_error', `could not read back the FIS experiment of ${handle.handleId}`, err, { handleId: handle.handleId });
      }
      return { confirmed: differences.length === 0, differences, manualSteps };
    },

    async listOwned(ctx: DiscoverContext) {
      try {
        const [running, templates] = await Promise.all([experiments.list(ctx.signal), listAllTemplates(fis, ctx.signal)]);
        const found: TaggedResource[] = [
          ...running
            .filter((e) => e.id && e.tags?.[AWS_TAGS.handle] && ACTIVE.has(e.state?.status ?? ''))
            .map((e) => ({ kind: 'experiment' as const, id: e.id!, ...(e.experimentTemplateId ? { templateId: e.experimentTemplateId } : {}), tags: e.tags ?? {}, ...(e.creationTime ? { createdAt: e.creationTime.getTime() } : {}) })),
          ...templates
            .filter((t) => t.id && t.tags?.[AWS_TAGS.handle])
            .map((t) => ({ kind: 'template' as const, id: t.id!, tags: t.tags ?? {}, ...(t.creationTime ? { createdAt: t.creationTime.getTime() } : {}) })),
        ];
        return handlesFromTags(region, found);
      } catch (err) {
        throw wrapAwsError('adapter_error', `could not list Faultline's FIS experiments in ${region}`, err);
      }
    },
  };
}
