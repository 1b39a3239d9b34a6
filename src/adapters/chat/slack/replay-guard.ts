/**
 * Remembers which interactions were already handled, so a Slack retry (X-Slack-Retry-Num) or a
 * replayed payload is acknowledged and dropped instead of acting twice. Bounded: old keys fall out.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly max = 5000,
    private readonly ttlMs = 30 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** True the first time a key is offered; false for every repeat within the TTL. */
  firstTime(key: string): boolean {
    const t = this.now();
    const prev = this.seen.get(key);
    if (prev !== undefined && t - prev < this.ttlMs) return false;
    this.seen.delete(key);
    this.seen.set(key, t);
    if (this.seen.size > this.max) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return true;
  }
}

/** The identity of one interaction, as Slack sends it again on a retry. */
export function interactionKey(body: Record<string, unknown>): string | undefined {
  if (typeof body.command === 'string') return typeof body.trigger_id === 'string' ? `command:${body.trigger_id}` : undefined;
  if (body.type === 'block_actions') {
    const user = (body.user as { id?: string } | undefined)?.id ?? '?';
    const action = (body.actions as Array<{ action_id?: string; action_ts?: string }> | undefined)?.[0];
    return action?.action_ts ? `action:${user}:${action.action_id}:${action.action_ts}` : undefined;
  }
  if (body.type === 'view_submission') {
    const view = body.view as { id?: string; hash?: string } | undefined;
    return view?.id ? `view:${view.id}:${view.hash ?? ''}` : undefined;
  }
  return undefined;
}
