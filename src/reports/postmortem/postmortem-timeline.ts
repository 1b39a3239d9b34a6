import { onCallEventText } from '../oncall-events.js';
import { compactJson, isoUtc, relTime } from '../report-format.js';
import { chronological, dataOf, type PostmortemEvent } from './postmortem-events.js';
import { noteSentence } from './postmortem-notes.js';

export interface TimelineEntry {
  seq: number;
  at: number;
  /** ISO 8601 UTC. */
  time: string;
  /** `T+mm:ss` relative to the time origin (injection when there was one). */
  rel: string;
  actor: string;
  kind: string;
  text: string;
}

export interface TimelineContext {
  origin: number;
  actor: (id: string) => string;
  /** Target id → name, for readable inject intents. */
  targetName: (id: string) => string;
}

/** Lifecycle events whose transition only repeats a dedicated journal entry of the engine. */
const FOLDED: Record<string, string> = {
  'precheck-passed': 'precheck',
  'precheck-failed': 'precheck',
  injected: 'injected',
  'inject-failed': 'inject-failed',
  reverted: 'reverted',
  'revert-failed': 'revert-failed',
  postchecked: 'postcheck',
};

// Readings are summarised per guardrail; accepted commands repeat the transition they caused (refusals stay).
const SKIPPED = new Set(['reading', 'command']);

const oneLine = (text: string) => text.replace(/\s*\r?\n\s*/g, ' ');
const handle = (id: string | null | undefined) => (id ? ` (handle ${id})` : '');

function checkLine(results: ReadonlyArray<{ name: string; passed: boolean; detail: string }>): string {
  if (results.length === 0) return 'no checks declared';
  const failed = results.filter((r) => !r.passed);
  const verdict = failed.length === 0 ? 'all passed' : `${failed.length} of ${results.length} failed`;
  return `${verdict} (${results.map((r) => `${r.name}: ${r.passed ? 'pass' : 'FAIL'}, ${r.detail}`).join('; ')})`;
}

function transitionText(e: PostmortemEvent, ctx: TimelineContext): string | undefined {
  const d = dataOf(e, 'transition');
  if (!d) return undefined;
  const who = ctx.actor(e.actor);
  const why = d.reason ? `: ${d.reason}` : '';
  const moves = `${d.from} → ${d.to}`;
  switch (d.event) {
    case 'approve':
      return `Approved by ${who} (${moves})`;
    case 'reject':
      return `Rejected by ${who}${why} (${moves})`;
    case 'cancel':
      return `Cancelled by ${who}${why} (${moves})`;
    case 'expire':
      return `Expired (${moves})`;
    case 'start':
      return `Started by ${who}; steady-state check begins (${moves})`;
    case 'duration-elapsed':
      return `Fault duration elapsed; revert begins (${moves})`;
    case 'abort':
      return `Aborted by ${who}${why} (${moves})`;
    default:
      return `${d.event}${why} (${moves})`;
  }
}

/** One sentence for one journal entry, or undefined when the entry is left out of the timeline. */
function describe(e: PostmortemEvent, all: readonly PostmortemEvent[], kinds: ReadonlySet<string>, ctx: TimelineContext): string | undefined {
  const who = ctx.actor(e.actor);
  switch (e.kind) {
    case 'proposed': {
      const d = dataOf(e, 'proposed');
      if (!d) break;
      const of = d.candidates === null || d.candidates === undefined ? '' : ` of ${d.candidates} candidate(s)`;
      return `Proposed by ${who}: ${d.targets.length} target(s)${of} (${d.targets.map((t) => t.name).join(', ') || 'none'}), plan ${d.planHash.slice(0, 12)}`;
    }
    case 'transition': {
      const d = dataOf(e, 'transition');
      if (!d) break;
      const folded = FOLDED[d.event];
      if (folded && kinds.has(folded)) return undefined;
      return transitionText(e, ctx);
    }
    case 'refused': {
      const d = dataOf(e, 'refused');
      return d ? `Refused "${d.command}" from ${who} (${d.code}): ${d.message}` : undefined;
    }
    case 'precheck':
    case 'postcheck': {
      const d = dataOf(e, e.kind);
      if (!d) break;
      return `${e.kind === 'precheck' ? 'Steady state before injection' : 'Steady state after revert'}: ${checkLine(d.results)}`;
    }
    case 'preflight': {
      const d = dataOf(e, 'preflight');
      if (!d) break;
      return `Guardrails sampled before injection (pre-flight): ${checkLine(d.guardrails)}`;
    }
    case 'breach': {
      const d = dataOf(e, 'breach');
      if (!d) break;
      return d.status === 'blind' ? `Guardrail ${d.guardrail} went blind (no usable readings): ${d.detail}` : `Guardrail ${d.guardrail} breached: ${d.detail}`;
    }
    case 'inject-intent': {
      const d = dataOf(e, 'inject-intent');
      if (!d) break;
      const names = d.targets.map(ctx.targetName).join(', ') || 'no targets';
      return `Intent journaled: inject ${d.faultType} via ${d.adapter} into ${names}${handle(d.handleId)}, expires ${isoUtc(d.expiresAt)}`;
    }
    case 'injected': {
      const d = dataOf(e, 'injected');
      return d ? `Fault injected${handle(d.handleId)}` : undefined;
    }
    case 'inject-failed': {
      const d = dataOf(e, 'inject-failed');
      return d ? `Injection failed${handle(d.handleId)}: ${d.error}` : undefined;
    }
    case 'revert-started': {
      const d = dataOf(e, 'revert-started');
      return d ? `Revert started${handle(d.handleId)}${d.reason ? `: ${d.reason}` : ''}` : undefined;
    }
    case 'reverted': {
      const d = dataOf(e, 'reverted');
      return d ? `Fault reverted${handle(d.handleId)}` : undefined;
    }
    case 'revert-failed': {
      const d = dataOf(e, 'revert-failed');
      return d ? `Revert failed${handle(d.handleId)}: ${d.error}` : undefined;
    }
    case 'reconcile-revert': {
      const d = dataOf(e, 'reconcile-revert');
      if (!d) break;
      const receipt = d.confirmed === false ? `; revert NOT confirmed: ${d.differences.join('; ')}` : d.confirmed ? '; reverted and confirmed' : '';
      return `Found still applied with no run holding it; reverted by reconcile${handle(d.handleId)}${receipt}`;
    }
    case 'revert-confirmed': {
      const d = dataOf(e, 'revert-confirmed');
      return d ? `Target read back after the revert: as it was before${handle(d.handleId)}` : undefined;
    }
    case 'revert-unconfirmed': {
      const d = dataOf(e, 'revert-unconfirmed');
      if (!d) break;
      return `Revert NOT confirmed${handle(d.handleId)}: ${d.differences.join('; ')}${d.manualSteps.length ? `. Finish by hand: ${d.manualSteps.join(' ; ')}` : ''}`;
    }
    case 'inject-late': {
      const d = dataOf(e, 'inject-late');
      if (!d) break;
      return d.outcome === 'applied'
        ? `The inject answered after its deadline: the fault had been applied after all; reverting it${handle(d.handleId)}`
        : `The inject answered after its deadline with an error (${d.error ?? 'unknown'}); asking the target what it holds${handle(d.handleId)}`;
    }
    case 'abort': {
      const d = dataOf(e, 'abort');
      if (!d) break;
      // The state change journaled next to it already says who aborted and why.
      const covered = all.some((o) => {
        const t = dataOf(o, 'transition');
        return t?.event === 'abort' && o.actor === e.actor && t.reason === d.reason && Math.abs(o.at - e.at) <= 5000;
      });
      return covered ? undefined : `Abort requested by ${who} (${d.code}): ${d.reason}`;
    }
    case 'verdict': {
      const d = dataOf(e, 'verdict');
      return d ? `Ended ${d.state}; verdict ${d.verdict ?? 'none'}` : undefined;
    }
    case 'postmortem': {
      const d = dataOf(e, 'postmortem');
      return d ? `Post-mortem drafted at ${d.path}` : undefined;
    }
    case 'adapter-note':
      return noteSentence(e.data);
    default: {
      if (SKIPPED.has(e.kind)) return undefined;
      const onCall = onCallEventText(e.kind, e.data, who);
      if (onCall !== undefined) return onCall;
    }
  }
  const data = compactJson(e.data);
  return `${e.kind}${data ? ` ${data}` : ''}`;
}

/** The journal as a readable timeline: who did what and what the bot did, oldest first. */
export function buildTimeline(events: readonly PostmortemEvent[], ctx: TimelineContext): TimelineEntry[] {
  const sorted = chronological(events);
  const kinds = new Set(sorted.map((e) => e.kind));
  const out: TimelineEntry[] = [];
  for (const e of sorted) {
    const text = describe(e, sorted, kinds, ctx);
    if (text === undefined) continue;
    out.push({ seq: e.seq, at: e.at, time: isoUtc(e.at), rel: relTime(e.at, ctx.origin), actor: ctx.actor(e.actor), kind: e.kind, text: oneLine(text) });
  }
  return out;
}
