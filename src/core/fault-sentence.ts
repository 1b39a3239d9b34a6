/**
 * What a plan does, in words a person reads on the card: the fault as one sentence ("60 % of
 * requests answer 503 on 2 of 3 checkout replicas for 30 s") and the target with its cluster,
 * namespace and kind. Each fault type of the sandbox, kubernetes and aws adapters has its own
 * sentence; any other type reads `type (key value, …) on … for …`. Never JSON: parameters the
 * sentence does not know are listed as `key value`.
 */
import type { Plan } from './experiment.js';
import { formatNumber } from './guardrails.js';
import { scopeOfPlan } from './target-identity.js';

/** "300 ms", "30 s", "1 min", "1 min 30 s", "2 h 5 min". */
export function spokenDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return [h ? `${h} h` : '', m ? `${m} min` : '', s || (!h && !m) ? `${s} s` : ''].filter(Boolean).join(' ');
}

const COMPARISON_WORDS: Record<string, string> = { '>': 'above', '>=': 'at least', '<': 'below', '<=': 'at most', '==': 'exactly', '!=': 'anything but' };

/** `>` → "above 800", `<=` → "at most 0.5"; an unknown comparison stays as written. */
export function comparisonWords(comparison: string, threshold: number): string {
  return `${COMPARISON_WORDS[comparison] ?? comparison} ${formatNumber(threshold)}`;
}

/** `{ status: 503, spec: { action: delay } }` → "status 503, spec (action delay)". */
export function paramWords(params: Record<string, unknown>): string {
  return Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${valueWords(v)}`)
    .join(', ');
}

function valueWords(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(valueWords).join(', ')}]`;
  if (v !== null && typeof v === 'object') return `(${paramWords(v as Record<string, unknown>)})`;
  return String(v);
}

const NOUNS: Record<string, [string, string]> = {
  replica: ['replica', 'replicas'],
  pod: ['pod', 'pods'],
  deployment: ['deployment', 'deployments'],
  statefulset: ['StatefulSet', 'StatefulSets'],
  node: ['node', 'nodes'],
  instance: ['instance', 'instances'],
  subnet: ['subnet', 'subnets'],
  'fis-template': ['FIS template', 'FIS templates'],
  'fis-targets': ['FIS target', 'FIS targets'],
  'fis-target': ['FIS target', 'FIS targets'],
};

function noun(kind: string, many: boolean): string {
  const known = NOUNS[kind];
  if (known) return known[many ? 1 : 0];
  if (kind.includes(',') || kind === '') return many ? 'targets' : 'target';
  return many ? `${kind}s` : kind;
}

/** The one service, app or workload every target belongs to, when there is one: "checkout". */
function groupName(p: Plan): string | undefined {
  for (const key of ['service', 'app', 'app.kubernetes.io/name']) {
    const values = new Set(p.targets.map((t) => t.attributes[key]));
    const [only] = values;
    if (values.size === 1 && only) return only;
  }
  const kinds = new Set(p.targets.map((t) => t.kind));
  if (p.targets.length === 1 && (kinds.has('deployment') || kinds.has('statefulset'))) return p.targets[0]!.name;
  return p.selector.service ?? p.selector.app ?? p.selector['app.kubernetes.io/name'];
}

function kindOf(p: Plan): string {
  const kinds = [...new Set(p.targets.map((t) => t.kind))];
  return kinds.length === 1 ? kinds[0]! : kinds.length === 0 ? scopeOfPlan(p).kind : kinds.join(',');
}

/** "checkout replicas", "nodes": the targets' group and kind. */
function targetNoun(p: Plan, many: boolean): string {
  const group = groupName(p);
  return `${group ? `${group} ` : ''}${noun(kindOf(p), many)}`;
}

/** What the fault hits: "1 of 3 checkout replicas", "both nodes", "all 5 checkout pods", "the cart deployment". */
export function hitWords(p: Plan): string {
  const n = p.targets.length;
  const of = Math.max(p.candidates, n);
  if (n === 1 && of === 1) return groupName(p) ? `the ${targetNoun(p, false)}` : `${noun(kindOf(p), false)} ${p.targets[0]!.name}`;
  if (n === of) return `${n === 2 ? 'both' : `all ${n}`} ${targetNoun(p, true)}`;
  return `${n} of ${of} ${targetNoun(p, true)}`;
}

type Params = Record<string, unknown>;
const num = (p: Params, key: string): number | undefined => (typeof p[key] === 'number' && Number.isFinite(p[key]) ? p[key] : undefined);
const str = (p: Params, key: string): string | undefined => (typeof p[key] === 'string' && p[key] !== '' ? p[key] : undefined);
const share = (percent: number | undefined) => (percent === undefined || percent >= 100 ? undefined : `${formatNumber(percent)} %`);

/** A sentence for one fault type; undefined when the parameters are not what the type takes (the generic form is used then). */
type Sentence = (p: Params, on: string, plan: Plan) => string | undefined;

const SANDBOX: Record<string, Sentence> = {
  latency: (p, on) => {
    const ms = num(p, 'ms');
    if (ms === undefined) return undefined;
    const jitter = num(p, 'jitterMs') ? ` (± ${spokenDuration(num(p, 'jitterMs')!)})` : '';
    const some = share(num(p, 'percent'));
    return `${spokenDuration(ms)} more latency${jitter} ${some ? `on ${some} of requests to` : 'on'} ${on}`;
  },
  'http-error': (p, on) => {
    const status = num(p, 'status') ?? 503;
    const some = share(num(p, 'percent'));
    return `${some ? `${some} of requests answer` : 'every request answers'} ${status} on ${on}`;
  },
  blackhole: (p, on) => {
    const some = share(num(p, 'percent'));
    return `${some ? `${some} of requests hang` : 'every request hangs'} without an answer on ${on}`;
  },
  'process-kill': (p, on, plan) => {
    const count = num(p, 'count') ?? 1;
    const interval = num(p, 'intervalMs');
    const n = plan.targets.length;
    const victims = count >= n ? on : `${count} of the ${n} targeted ${targetNoun(plan, true)} (${Math.max(plan.candidates, n)} in all)`;
    return `kills (SIGKILL) ${victims}${interval ? `, again every ${spokenDuration(interval)},` : ', then watches'}`;
  },
};

const KUBERNETES: Record<string, Sentence> = {
  'pod-delete': (p, on) => {
    const grace = num(p, 'gracePeriodSeconds');
    const interval = num(p, 'interval');
    return `deletes ${on}${grace !== undefined ? ` (grace period ${spokenDuration(grace * 1000)})` : ''}${interval ? `, and as many again every ${spokenDuration(interval)},` : ', then watches'}`;
  },
  'scale-down': (p, on) => {
    const replicas = num(p, 'replicas');
    const percent = num(p, 'percent');
    if (replicas !== undefined) return `scales ${on} to ${replicas} ${replicas === 1 ? 'replica' : 'replicas'}`;
    if (percent !== undefined) return `removes ${formatNumber(percent)} % of the replicas of ${on}`;
    return undefined;
  },
  'node-drain': (_p, on) => `cordons and drains ${on}`,
  'zone-outage': (p, on) => `takes zone ${str(p, 'zone') ?? '(unnamed)'} out: cordons and drains ${on} there`,
  'network-partition': (p, on) => {
    const direction = str(p, 'direction') ?? 'both';
    if (direction === 'ingress') return `cuts the traffic into ${on}`;
    if (direction === 'egress') return `cuts the traffic out of ${on}`;
    return `cuts all traffic to and from ${on}`;
  },
  'dependency-down': (p, on) => {
    const deps = p.dependencySelector;
    if (deps === null || typeof deps !== 'object') return undefined;
    const labels = Object.entries(deps as Params).map(([k, v]) => `${k}=${String(v)}`).join(', ');
    const ns = str(p, 'dependencyNamespace');
    const port = num(p, 'port');
    return `cuts ${on} off from the pods with ${labels}${ns ? ` in namespace ${ns}` : ''}${port ? ` (port ${port})` : ''}`;
  },
  'dns-outage': (_p, on) => `DNS lookups fail on ${on}`,
  'chaos-mesh': (p, on) => {
    const kind = str(p, 'kind');
    if (!kind) return undefined;
    const spec = p.spec !== null && typeof p.spec === 'object' ? paramWords(p.spec as Params) : '';
    return `Chaos Mesh ${kind}${spec ? ` (${spec})` : ''} on ${on}`;
  },
};

function zoneOf(plan: Plan): string | undefined {
  const zones = new Set(plan.targets.map((t) => t.attributes.zone).filter(Boolean));
  return zones.size === 1 ? [...zones][0] : undefined;
}

const AWS: Record<string, Sentence> = {
  'ec2-stop': (p, on) => `${p.hibernate === true ? 'hibernates' : 'stops'} ${on}`,
  'zone-outage': (p, on, plan) => {
    const zone = zoneOf(plan);
    return `takes zone ${zone ?? '(unnamed)'} out: ${p.hibernate === true ? 'hibernates' : 'stops'} ${on} there`;
  },
  'fis-experiment': (_p, _on, plan) => `runs the FIS experiment template ${plan.targets.map((t) => t.name).join(', ') || scopeOfPlan(plan).selection}`,
  'fis-action': (p, on) => {
    const actions = p.actions;
    if (actions === null || typeof actions !== 'object') return undefined;
    const list = Object.values(actions as Record<string, Params>).map((a) => {
      const id = str(a, 'actionId') ?? '(no action id)';
      const params = a.parameters !== null && typeof a.parameters === 'object' ? paramWords(a.parameters as Params) : '';
      return `${id}${params ? ` (${params})` : ''}`;
    });
    return `runs the FIS ${list.length === 1 ? 'action' : 'actions'} ${list.join('; ')} on ${on}`;
  },
};

const BY_ADAPTER: Record<string, Record<string, Sentence>> = { process: SANDBOX, sandbox: SANDBOX, kubernetes: KUBERNETES, aws: AWS };

/** Faults that end by themselves; the duration is the longest Faultline lets them run. */
const AT_MOST = new Set(['aws:fis-experiment', 'aws:fis-action']);

/** The plan's fault as one sentence, its duration at the end. */
export function faultSentence(plan: Plan): string {
  const { type, parameters } = plan.fault;
  const on = hitWords(plan);
  const table = BY_ADAPTER[plan.adapter] ?? SANDBOX;
  const said = table[type]?.(parameters, on, plan);
  const forHow = `for ${AT_MOST.has(`${plan.adapter}:${type}`) ? 'at most ' : ''}${spokenDuration(plan.durationMs)}`;
  if (said !== undefined) return `${said} ${forHow}`;
  const params = paramWords(parameters);
  return `${type}${params ? ` (${params})` : ''} on ${on} ${forHow}`;
}

interface Term {
  key: string;
  /** `=`, `==` or `!=` as written. */
  op: string;
  value: string;
}

/** "name=cart,app=web" → its terms; undefined when the selection is not such a list (FIS's own wording). */
function terms(selection: string): Term[] | undefined {
  if (selection === '*' || selection === '(all)') return [];
  const out: Term[] = [];
  for (const part of selection.split(',')) {
    const m = /^((?:annotation )?[^\s=!]+)(!?==?)(\S*)$/.exec(part.trim());
    if (!m) return undefined;
    out.push({ key: m[1]!, op: m[2]!, value: m[3]! });
  }
  return out;
}

/**
 * The target in words: "deployment cart in namespace shop on cluster prod · kubernetes · blast radius one",
 * "replicas with service=checkout · process · blast radius one", "nodes in zone eu-west-1a on cluster prod · …".
 */
export function targetWords(p: Plan): string {
  const s = scopeOfPlan(p);
  const parsed = terms(s.selection);
  let what: string;
  if (parsed === undefined) {
    what = `${noun(s.kind, s.selection.includes(','))} ${s.selection}`;
  } else {
    const value = (key: string) => parsed.find((t) => t.key === key && t.op === '=')?.value;
    const name = value('name');
    const zone = value('zone');
    const region = value('region');
    const rest = parsed.filter((t) => !(t.op === '=' && ['name', 'zone', 'region'].includes(t.key))).map((t) => `${t.key}${t.op}${t.value}`);
    what = name ? `${noun(s.kind, false)} ${name}` : `${rest.length === 0 ? 'all ' : ''}${noun(s.kind, true)}`;
    if (rest.length > 0) what += ` with ${rest.join(', ')}`;
    if (zone) what += ` in zone ${zone}`;
    if (region) what += zone ? ` (region ${region})` : ` in region ${region}`;
  }
  if (s.namespace) what += ` in namespace ${s.namespace}`;
  if (s.cluster) what += ` on cluster ${s.cluster}`;
  return `${what} · ${p.adapter} · blast radius ${p.blastRadius}`;
}
