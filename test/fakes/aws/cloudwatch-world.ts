/** What the CloudWatch stand-in knows: alarms with their states, metric series with datapoints. */

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface WorldAlarm {
  name: string;
  state: AlarmState;
  /** StateReason, e.g. "Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0)." */
  reason?: string;
  /** Metric alarms by default; composite alarms are only listed when AlarmTypes asks for them. */
  type?: 'metric' | 'composite';
  /** When the state last changed (ms); default: when the world was registered. */
  updatedAt?: number;
  namespace?: string;
  metricName?: string;
  dimensions?: Record<string, string>;
}

export interface Datapoint {
  /** Start of the period the value describes (ms). */
  at: number;
  value: number;
}

/** One metric as published: the stand-in answers its datapoints for any matching stat (or only `stat`). */
export interface WorldSeries {
  namespace: string;
  name: string;
  dimensions?: Record<string, string>;
  stat?: string;
  points: Datapoint[];
}

export interface CloudWatchWorld {
  account?: string;
  alarms: WorldAlarm[];
  series: WorldSeries[];
  /** Answers for expressions the stand-in does not compute itself (SEARCH, SELECT, functions). */
  expressions?: Record<string, Datapoint[]>;
  /** Page sizes (AWS: DescribeAlarms MaxRecords default 50; GetMetricData 100,800 datapoints). */
  pageSize?: { alarms?: number; datapoints?: number };
  /** The next calls (of `action`, when given) are answered with this error. */
  failNext?: Array<{ action?: string; status: number; code: string; message: string }>;
  /** Answers of these operations are held back this long (ms); Infinity never answers. */
  delayMs?: Partial<Record<'DescribeAlarms' | 'GetMetricData', number>>;
}

type Token = { kind: 'num'; v: number } | { kind: 'id'; v: string } | { kind: 'op'; v: string };

function tokens(text: string): Token[] | string {
  const out: Token[] = [];
  const re = /\s*(?:(\d+(?:\.\d+)?)|([a-z][a-zA-Z0-9_]*)|([-+*/()]))/y;
  let i = 0;
  while (i < text.length && !/^\s*$/.test(text.slice(i))) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) return `unexpected "${text.slice(i).trim().slice(0, 10)}"`;
    if (m[1] !== undefined) out.push({ kind: 'num', v: Number(m[1]) });
    else if (m[2] !== undefined) out.push({ kind: 'id', v: m[2] });
    else out.push({ kind: 'op', v: m[3]! });
    i = re.lastIndex;
  }
  return out;
}

/**
 * Arithmetic metric math (`100 * errors / requests`, `+ - * /`, parentheses) evaluated at every
 * timestamp where all the ids it names have a value. Anything else (functions) is not computed
 * here: the answer is a string saying why.
 */
export function evaluateExpression(text: string, inputs: ReadonlyMap<string, Datapoint[]>): Datapoint[] | string {
  const list = tokens(text);
  if (typeof list === 'string') return list;
  const ids = [...new Set(list.filter((t) => t.kind === 'id').map((t) => t.v as string))];
  const missing = ids.find((id) => !inputs.has(id));
  if (missing) return `Unrecognized metric id "${missing}"`;
  const byId = new Map(ids.map((id) => [id, new Map(inputs.get(id)!.map((p) => [p.at, p.value]))]));
  const times = ids.length ? [...byId.get(ids[0]!)!.keys()].filter((t) => ids.every((id) => byId.get(id)!.has(t))) : [];
  const at = (t: number): number | string => {
    let pos = 0;
    const peek = () => list[pos];
    const primary = (): number | string => {
      const tok = list[pos++];
      if (!tok) return 'unexpected end';
      if (tok.kind === 'num') return tok.v;
      if (tok.kind === 'id') return byId.get(tok.v)!.get(t)!;
      if (tok.v === '-') {
        const v = primary();
        return typeof v === 'string' ? v : -v;
      }
      if (tok.v !== '(') return `unexpected "${tok.v}"`;
      const v = sum();
      if (list[pos++]?.v !== ')') return 'missing ")"';
      return v;
    };
    const product = (): number | string => {
      let v = primary();
      while (typeof v === 'number' && (peek()?.v === '*' || peek()?.v === '/')) {
        const op = list[pos++]!.v;
        const r = primary();
        if (typeof r === 'string') return r;
        v = op === '*' ? v * r : v / r;
      }
      return v;
    };
    const sum = (): number | string => {
      let v = product();
      while (typeof v === 'number' && (peek()?.v === '+' || peek()?.v === '-')) {
        const op = list[pos++]!.v;
        const r = product();
        if (typeof r === 'string') return r;
        v = op === '+' ? v + r : v - r;
      }
      return v;
    };
    const v = sum();
    if (typeof v === 'number' && pos < list.length) return `unexpected "${String(list[pos]!.v)}"`;
    return v;
  };
  if (ids.length === 0) return 'an expression with no metric id is not computed by the stand-in';
  const out: Datapoint[] = [];
  for (const t of times) {
    const v = at(t);
    if (typeof v === 'string') return v;
    out.push({ at: t, value: v });
  }
  return out;
}
