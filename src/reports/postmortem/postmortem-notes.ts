import { PartialApplication, partialMissed } from '../../core/experiment.js';
import { formatDuration } from '../../core/duration.js';
import { PARTIAL_NOTE } from '../../core/ports.js';
import { isoUtc } from '../report-format.js';

/*
 * Adapter notes (`TargetContext.note`, journaled as `adapter-note` with the note's `kind`) as
 * sentences for the post-mortem timeline. Known kinds get their own sentence; any other note is
 * still a sentence, its fields spelled out, never raw JSON.
 */

type Data = Record<string, unknown>;

const MAX_LISTED = 8;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const records = (v: unknown): Data[] => (Array.isArray(v) ? v.filter((x): x is Data => !!x && typeof x === 'object' && !Array.isArray(x)) : []);

function list(items: readonly string[]): string {
  if (items.length === 0) return 'none';
  if (items.length <= MAX_LISTED) return items.join(', ');
  return `${items.slice(0, MAX_LISTED).join(', ')} and ${items.length - MAX_LISTED} more`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A value as words: lists joined, objects as `key value` pairs, nothing nested deeper than that. */
function spell(v: unknown, depth = 0): string {
  if (v === null || v === undefined) return 'none';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.length === 0 ? 'none' : depth > 1 ? plural(v.length, 'item') : list(v.map((x) => spell(x, depth + 1)));
  if (typeof v === 'object') {
    const entries = Object.entries(v as Data);
    if (depth > 1) return `${plural(entries.length, 'field')}`;
    return entries.map(([k, x]) => `${k} ${spell(x, depth + 1)}`).join(', ') || 'nothing';
  }
  return String(v);
}

const SENTENCES: Record<string, (d: Data) => string | undefined> = {
  [PARTIAL_NOTE]: (d) => {
    const p = PartialApplication.safeParse(d);
    if (!p.success) return undefined;
    return `The fault went in only in part${str(d.where) ? ` (${str(d.where)})` : ''}: ${partialMissed(p.data)}`;
  },
  'node-drain': (d) => drainIntent('About to drain', d),
  'zone-outage': (d) => drainIntent(`About to take zone ${str(d.zone) ?? '?'} out:`, d),
  'node-drain-evict': (d) => {
    const pods = strings(d.pods);
    const grace = num(d.gracePeriodSeconds);
    const left = records(d.left);
    const leaves = left.length > 0 ? `; left on the node: ${list(left.map((l) => `${str(l.pod) ?? '?'} (${str(l.why) ?? 'kept'})`))}` : '';
    return `Evicting ${plural(pods.length, 'pod')} from node ${str(d.node) ?? '?'}${grace !== undefined ? ` with a ${grace} s grace period` : ''}: ${list(pods)}${leaves}`;
  },
  'eviction-refused': (d) => `Eviction of ${str(d.pod) ?? 'a pod'} on node ${str(d.node) ?? '?'} refused${str(d.budget) ? ` by PodDisruptionBudget ${str(d.budget)}` : ''}: ${str(d.reason) ?? 'no reason given'}`,
  'pod-delete': (d) => {
    const pods = strings(d.pods);
    const interval = num(d.intervalMs);
    const grace = num(d.gracePeriodSeconds);
    const again = interval !== undefined ? `, then as many of their successors every ${formatDuration(interval)} (seed ${spell(d.seed)})` : '';
    return `Deleting ${plural(pods.length, 'pod')}${grace !== undefined ? ` with a ${grace} s grace period` : ''}: ${list(pods)}${again}`;
  },
  'pod-delete-tick': (d) => `Interval kill ${spell(d.tick)} in namespace ${str(d.namespace) ?? '?'}: deleting ${list(strings(d.chosen))}`,
  'scale-down': (d) => `Scaling ${str(d.target) ?? `${str(d.workloadKind) ?? 'workload'} ${str(d.namespace) ?? ''}/${str(d.name) ?? ''}`} from ${spell(d.originalReplicas)} to ${spell(d.replicas)} replicas (the original count is recorded on the object)`,
  'network-partition': (d) => network('Partitioning', d),
  'dependency-down': (d) => network('Cutting off a dependency from', d),
  'dns-outage': (d) => network('Denying DNS to', d),
  'chaos-mesh': (d) => {
    const resources = records(d.resources).map((r) => `${str(r.namespace) ?? '?'}/${str(r.name) ?? '?'}`);
    return `Creating Chaos Mesh ${str(d.chaosKind) ?? 'resource'} ${list(resources)} (version ${str(d.version) ?? '?'}) that ends itself after ${str(d.duration) ?? '?'}`;
  },
  'sandbox-fault': (d) => {
    const until = num(d.expiresAt);
    return `Asking the sandbox at ${str(d.adminUrl) ?? '?'} for ${str(d.type) ?? 'a fault'} (${spell(d.params)}) on ${list(strings(d.targets))}${until !== undefined ? ` until ${isoUtc(until)}` : ''}`;
  },
};

function drainIntent(lead: string, d: Data): string {
  const nodes = records(d.nodes);
  const names = nodes.map((n) => str(n.node) ?? '?');
  const already = nodes.filter((n) => n.wasCordoned === true).map((n) => str(n.node) ?? '?');
  return `${lead} ${plural(names.length, 'node')} (${list(names)}): cordon, then evict their pods${already.length > 0 ? `; already cordoned before: ${list(already)}` : ''}`;
}

function network(verb: string, d: Data): string {
  const policies = records(d.policies).map((p) => `${str(p.namespace) ?? '?'}/${str(p.name) ?? '?'}`);
  const pods = strings(d.pods);
  return `${verb} ${plural(pods.length, 'pod')} (${list(pods)}) with NetworkPolicy ${list(policies)}`;
}

/** One sentence for one adapter note. */
export function noteSentence(data: Record<string, unknown>): string {
  const { kind, ...rest } = data;
  const k = str(kind) ?? 'unnamed';
  const known = SENTENCES[k]?.(rest);
  if (known) return known;
  const fields = Object.entries(rest);
  return `The adapter noted ${k}${fields.length > 0 ? `: ${fields.map(([f, v]) => `${f} ${spell(v)}`).join('; ')}` : ''}`;
}
