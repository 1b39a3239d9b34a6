/**
 * The state behind the PagerDuty stand-in's `GET /services/{id}` and `GET /oncalls`: users,
 * services with their escalation policy, and who is on call for which policy at which level, shaped
 * as in PagerDuty's REST API reference (PagerDuty/api-schema, reference/REST/openapiv3.json). The
 * HTTP layer (auth, trouble, recording) lives in `pagerduty-api.ts`.
 */

export interface StandInUserSeed {
  id: string;
  name: string;
  email?: string;
  timeZone?: string;
}

export interface StandInServiceSeed {
  id: string;
  name?: string;
  escalationPolicyId: string;
  escalationPolicyName?: string;
}

export interface OnCallSeed {
  escalationPolicyId: string;
  userId: string;
  /** Escalation level, 1 (the first responder) by default. */
  level?: number;
  /** Epoch ms; default an hour ago. `null` with `end: null`: a permanent on-call (a user named in the rule). */
  start?: number | null;
  /** Epoch ms; default a week from now. `null`: never goes off call. */
  end?: number | null;
  /** The schedule it comes from; default one per policy and level, none for a permanent on-call. */
  scheduleId?: string | null;
}

interface StoredOnCall {
  policy: string;
  user: string;
  level: number;
  start: number | null;
  end: number | null;
  schedule: string | null;
}

type Answer = { status: number; body: unknown };

const HOST = 'https://acme.pagerduty.com';
const API = 'https://api.pagerduty.com';
/** The stand-in account's time zone is UTC-5, as in the reference's examples: times carry `-05:00`. */
const ACCOUNT_OFFSET_MS = -5 * 3_600_000;
const HOUR_MS = 3_600_000;

export const accountTime = (ms: number): string => `${new Date(ms + ACCOUNT_OFFSET_MS).toISOString().replace(/\.\d{3}Z$/, '')}-05:00`;
const ref = (kind: string, path: string, id: string, summary: string) => ({
  id,
  type: `${kind}_reference`,
  summary,
  self: `${API}/${path}/${id}`,
  html_url: `${HOST}/${path === 'services' ? 'service-directory' : path}/${id}`,
});
const invalid = (why: string): Answer => ({ status: 400, body: { error: { message: 'Invalid Input Provided', code: 2001, errors: [why] } } });

export class StandInOnCalls {
  private readonly users = new Map<string, StandInUserSeed>();
  private readonly services = new Map<string, StandInServiceSeed>();
  private readonly policyNames = new Map<string, string>();
  private readonly entries: StoredOnCall[] = [];

  addUser(seed: StandInUserSeed): void {
    this.users.set(seed.id, { ...seed });
  }

  addService(seed: StandInServiceSeed): void {
    this.services.set(seed.id, { ...seed });
    if (!this.policyNames.has(seed.escalationPolicyId) || seed.escalationPolicyName) {
      this.policyNames.set(seed.escalationPolicyId, seed.escalationPolicyName ?? `policy ${seed.escalationPolicyId}`);
    }
  }

  /** Puts a known user on call for a policy (any policy id: one no service uses is fine). */
  putOnCall(seed: OnCallSeed): void {
    if (!this.users.has(seed.userId)) throw new Error(`putOnCall: no user ${seed.userId} in the stand-in (addUser first)`);
    const level = seed.level ?? 1;
    const now = Date.now();
    const start = seed.start === undefined ? now - HOUR_MS : seed.start;
    const end = seed.end === undefined ? now + 7 * 24 * HOUR_MS : seed.end;
    const permanent = start === null && end === null;
    const schedule = seed.scheduleId !== undefined ? seed.scheduleId : permanent ? null : `PS${seed.escalationPolicyId}L${level}`;
    this.entries.push({ policy: seed.escalationPolicyId, user: seed.userId, level, start, end, schedule });
  }

  clear(): void {
    this.users.clear();
    this.services.clear();
    this.policyNames.clear();
    this.entries.length = 0;
  }

  /** `GET /services/{id}`. */
  service(id: string): Answer {
    const s = this.services.get(id);
    if (!s) return { status: 404, body: { error: { message: 'Not Found', code: 2100 } } };
    const name = s.name ?? `service ${s.id}`;
    return {
      status: 200,
      body: {
        service: {
          ...ref('service', 'services', s.id, name),
          type: 'service',
          name,
          description: null,
          auto_resolve_timeout: 14400,
          acknowledgement_timeout: 600,
          created_at: accountTime(Date.parse('2024-01-02T03:04:05Z')),
          status: 'active',
          last_incident_timestamp: null,
          alert_creation: 'create_alerts_and_incidents',
          integrations: [],
          escalation_policy: ref('escalation_policy', 'escalation_policies', s.escalationPolicyId, this.policyNames.get(s.escalationPolicyId) ?? ''),
          teams: [],
          incident_urgency_rule: { type: 'constant', urgency: 'high' },
          support_hours: null,
          scheduled_actions: [],
          auto_pause_notifications_parameters: { enabled: false, timeout: null },
        },
      },
    };
  }

  /**
   * `GET /oncalls`: filtered by `escalation_policy_ids[]`, `user_ids[]`, `schedule_ids[]` (unbracketed
   * keys ignored, as PagerDuty ignores them), the on-calls overlapping `since`..`until` (both default
   * to now), `earliest=true` keeping the earliest per policy, level and user, `include[]=users`
   * embedding full users (with email); classic offset pagination.
   */
  list(q: URLSearchParams): Answer {
    const limit = Math.min(100, Math.max(1, Number(q.get('limit') ?? 25) || 25));
    const offset = Math.max(0, Number(q.get('offset') ?? 0) || 0);
    if (offset + limit > 10_000) return invalid('Offset must be less than 10000.');
    const now = Date.now();
    const since = q.has('since') ? Date.parse(q.get('since')!) : now;
    const until = q.has('until') ? Date.parse(q.get('until')!) : now;
    if (Number.isNaN(since) || Number.isNaN(until)) return invalid('Since and until must be valid dates.');
    if (until < since) return invalid('Until must be after since.');
    const policies = q.getAll('escalation_policy_ids[]');
    const users = q.getAll('user_ids[]');
    const schedules = q.getAll('schedule_ids[]');
    let matching = this.entries.filter(
      (e) =>
        (policies.length === 0 || policies.includes(e.policy)) &&
        (users.length === 0 || users.includes(e.user)) &&
        (schedules.length === 0 || schedules.includes(e.schedule ?? 'null')) &&
        (e.start === null || e.start <= until) &&
        (e.end === null || e.end > since),
    );
    if (q.get('earliest') === 'true') {
      const first = new Map<string, StoredOnCall>();
      for (const e of matching) {
        const key = `${e.policy}/${e.level}/${e.user}`;
        const seen = first.get(key);
        if (!seen || (e.start ?? -Infinity) < (seen.start ?? -Infinity)) first.set(key, e);
      }
      matching = [...first.values()];
    }
    matching.sort((a, b) => a.policy.localeCompare(b.policy) || a.level - b.level || (a.start ?? -Infinity) - (b.start ?? -Infinity));
    const full = q.getAll('include[]').includes('users');
    return {
      status: 200,
      body: {
        oncalls: matching.slice(offset, offset + limit).map((e) => this.render(e, full)),
        limit,
        offset,
        more: offset + limit < matching.length,
        total: q.get('total') === 'true' ? matching.length : null,
      },
    };
  }

  private render(e: StoredOnCall, fullUser: boolean): Record<string, unknown> {
    const u = this.users.get(e.user)!;
    const userRef = ref('user', 'users', u.id, u.name);
    const user = fullUser
      ? {
          ...userRef,
          type: 'user',
          name: u.name,
          ...(u.email !== undefined ? { email: u.email } : {}),
          time_zone: u.timeZone ?? 'America/New_York',
          color: 'purple',
          role: 'user',
          avatar_url: `https://secure.gravatar.com/avatar/${u.id}.png?d=mm&r=PG`,
          description: null,
          invitation_sent: false,
          job_title: null,
          teams: [],
          contact_methods: [],
          notification_rules: [],
        }
      : userRef;
    return {
      escalation_policy: ref('escalation_policy', 'escalation_policies', e.policy, this.policyNames.get(e.policy) ?? `policy ${e.policy}`),
      escalation_level: e.level,
      schedule: e.schedule === null ? null : ref('schedule', 'schedules', e.schedule, `schedule ${e.schedule}`),
      user,
      start: e.start === null ? null : accountTime(e.start),
      end: e.end === null ? null : accountTime(e.end),
    };
  }
}
