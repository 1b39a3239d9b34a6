import type { types } from '@slack/bolt';
import { escapeMrkdwn, truncatePlain } from './mrkdwn.js';

type KnownBlock = types.KnownBlock;
type SlackButton = types.Button;

/** Action ids of the Home's own buttons; the others reuse the card buttons' ids and values. */
export const HOME_ACTIONS = { halt: 'home-halt', resume: 'home-resume' } as const;

/** What one person's Home tab shows, as plain data (home.ts gathers it from the engine). */
export interface HomeData {
  user: string;
  now: number;
  halt: { reason: string; by: string; at: number } | null;
  /** Experiments running now (live state and an Abort button). */
  running: Array<{ id: string; name: string; phase: string | null; proposedBy: string; endsAt: number | null; gameDay?: string | undefined }>;
  /** Game days not yet ended. */
  gameDays: Array<{ id: string; title: string; state: string; step: string; proposedBy: string }>;
  /** Proposals by someone else that this person may approve. */
  waiting: Array<{ kind: 'experiment' | 'gameday'; id: string; name: string; proposedBy: string; proposedAt: number }>;
  /** This person's latest experiments. */
  recent: Array<{ id: string; name: string; state: string; verdict: string | null; at: number; link?: string | undefined }>;
  /** Freezes in force: a window, or a service frozen by an incident. */
  freezes: Array<{ what: string; until: number }>;
  /** A one-line note on top (a refused click, for one). */
  notice?: string | undefined;
}

export interface HomeView {
  type: 'home';
  callback_id: string;
  blocks: KnownBlock[];
}

/** Slack accepts at most 100 blocks in a Home tab. */
export const HOME_MAX_BLOCKS = 100;
const PER_SECTION = 10;

const mrkdwn = (text: string) => ({ type: 'mrkdwn' as const, text, verbatim: true });
const section = (text: string, accessory?: SlackButton): KnownBlock => ({ type: 'section', text: mrkdwn(truncatePlain(text, 3000)), ...(accessory ? { accessory } : {}) });
const header = (text: string): KnownBlock => ({ type: 'header', text: { type: 'plain_text', text: truncatePlain(text, 150), emoji: true } });
const context = (text: string): KnownBlock => ({ type: 'context', elements: [mrkdwn(truncatePlain(text, 3000))] });
const divider: KnownBlock = { type: 'divider' };
const mention = (user: string) => (/^[UW][A-Z0-9]+$/.test(user) ? `<@${user}>` : escapeMrkdwn(user));
const code = (id: string) => `\`${id.replace(/`/g, "'")}\``;

function button(text: string, actionId: string, value: string, style?: 'primary' | 'danger', confirm?: types.ConfirmationDialog): SlackButton {
  return { type: 'button', text: { type: 'plain_text', text, emoji: true }, action_id: actionId, value, ...(style ? { style } : {}), ...(confirm ? { confirm } : {}) };
}

/** Slack's date token shows the time in the reader's own time zone; the fallback is UTC. */
function when(ms: number): string {
  const s = Math.floor(ms / 1000);
  const fallback = new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  return `<!date^${s}^{date_short_pretty} {time}|${fallback}>`;
}

function left(endsAt: number | null, now: number): string {
  if (endsAt === null) return '';
  const s = Math.max(0, Math.round((endsAt - now) / 1000));
  return s >= 60 ? `, ${Math.floor(s / 60)} min ${s % 60} s left` : `, ${s} s left`;
}

function more(n: number, what: string): KnownBlock[] {
  return n > PER_SECTION ? [context(`…and ${n - PER_SECTION} more ${what}; \`/chaos list\` shows them all.`)] : [];
}

/**
 * The Home tab of one person, as Block Kit JSON: pure, so a test can pin it and Block Kit Builder
 * can open it. Buttons carry the card buttons' action ids and values (`approve` + the id), so the
 * same handlers act on them and every rule (four eyes, who may abort) holds as on the card.
 */
export function homeView(d: HomeData): HomeView {
  const blocks: KnownBlock[] = [header('Faultline')];
  if (d.notice) blocks.push(section(`:x: ${escapeMrkdwn(d.notice)}`));

  // The kill switch first: the one thing anyone may need in a hurry.
  if (d.halt) {
    blocks.push(
      section(`:octagonal_sign: *Chaos is halted* since ${when(d.halt.at)} by ${mention(d.halt.by)}: ${escapeMrkdwn(d.halt.reason)}`,
        button('Resume', HOME_ACTIONS.resume, 'resume', 'primary', {
          title: { type: 'plain_text', text: 'Resume chaos?' },
          text: mrkdwn('Experiments may start again once approved.'),
          confirm: { type: 'plain_text', text: 'Resume' },
          deny: { type: 'plain_text', text: 'Keep halted' },
        }),
      ),
    );
  } else {
    blocks.push(
      section(':large_green_circle: Chaos is allowed. *Halt* aborts everything running and blocks new starts until Resume.',
        button('Halt all chaos', HOME_ACTIONS.halt, 'halt', 'danger', {
          title: { type: 'plain_text', text: 'Halt all chaos?' },
          text: mrkdwn('Every running experiment is aborted and reverted now, and nothing starts until someone resumes.'),
          confirm: { type: 'plain_text', text: 'Halt' },
          deny: { type: 'plain_text', text: 'Cancel' },
          style: 'danger',
        }),
      ),
    );
  }

  blocks.push(divider, header('Running now'));
  if (d.running.length === 0 && d.gameDays.length === 0) blocks.push(context('Nothing is running.'));
  for (const e of d.running.slice(0, PER_SECTION)) {
    const step = e.gameDay ? ` (a step of ${code(e.gameDay)})` : '';
    blocks.push(section(`:zap: ${code(e.id)} *${escapeMrkdwn(e.name)}*${step}\n${escapeMrkdwn(e.phase ?? 'running')}${left(e.endsAt, d.now)} · proposed by ${mention(e.proposedBy)}`, button('Abort', 'abort', e.id, 'danger')));
  }
  blocks.push(...more(d.running.length, 'experiments'));
  for (const g of d.gameDays.slice(0, PER_SECTION)) {
    const abortable = g.state !== 'proposed';
    blocks.push(section(`:calendar: ${code(g.id)} *${escapeMrkdwn(g.title)}*\n${escapeMrkdwn(g.state)} · ${escapeMrkdwn(g.step)} · proposed by ${mention(g.proposedBy)}`, abortable ? button('Abort', 'gdabort', g.id, 'danger') : undefined));
  }
  blocks.push(...more(d.gameDays.length, 'game days'));

  blocks.push(divider, header('Waiting for your approval'));
  if (d.waiting.length === 0) blocks.push(context('Nothing waits for you.'));
  for (const w of d.waiting.slice(0, PER_SECTION)) {
    const [approve, reject] = w.kind === 'gameday' ? ['gdapprove', 'gdreject'] : ['approve', 'reject'];
    blocks.push(section(`${w.kind === 'gameday' ? ':calendar:' : ':test_tube:'} ${code(w.id)} *${escapeMrkdwn(w.name)}*\nproposed by ${mention(w.proposedBy)} ${when(w.proposedAt)}`), {
      type: 'actions',
      block_id: `waiting-${w.id}`,
      elements: [button('Approve', approve!, w.id, 'primary'), button('Reject', reject!, w.id)],
    });
  }
  blocks.push(...more(d.waiting.length, 'proposals'));

  blocks.push(divider, header('Your recent experiments'));
  if (d.recent.length === 0) blocks.push(context('You have not proposed any experiment yet: `/chaos propose`.'));
  for (const r of d.recent.slice(0, PER_SECTION)) {
    const outcome = r.verdict ? `${escapeMrkdwn(r.state)}, verdict *${escapeMrkdwn(r.verdict)}*` : escapeMrkdwn(r.state);
    const link = r.link ? ` · <${r.link}|thread>` : '';
    blocks.push(context(`${code(r.id)} ${escapeMrkdwn(r.name)} · ${outcome} · ${when(r.at)}${link}`));
  }

  blocks.push(divider, header('Freezes'));
  if (d.freezes.length === 0) blocks.push(context('No freeze in force.'));
  for (const f of d.freezes.slice(0, PER_SECTION)) blocks.push(context(`:snowflake: ${escapeMrkdwn(f.what)} until ${when(f.until)}`));

  blocks.push(context(`Updated ${when(d.now)}`));
  return { type: 'home', callback_id: 'faultline-home', blocks: blocks.slice(0, HOME_MAX_BLOCKS) };
}
