import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { CommandGateway } from '../../../../commands/command-gateway.js';
import type { Actor } from '../../../core/actor.js';
import type { Message } from '../../../core/message.js';
import type { AdapterLogger } from '../../../core/ports.js';
import { ABORT_BUTTONS, buttonCommand } from '../../../core/button-commands.js';
import { baseActionId, messageToBlocks } from './blocks.js';
import { PROPOSE_CALLBACK_ID, proposeModal, readProposeSubmission } from './propose-modal.js';
import { registerMessageShortcut } from './message-shortcut.js';
import { AfterAckQueue } from './after-ack-queue.js';
import { FaultlineError } from '../../../core/errors.js';
import { interactionKey, type ReplayGuard, type SignedRequest } from './replay-guard.js';
import { isRequestRefusal } from './slack-app.js';
import type { HomeDesk } from './home.js';
import { HOME_ACTIONS } from './home-blocks.js';
import type { SlackPeople } from './people.js';
import { within } from '../../../lib/within.js';

/** The longest a command waits for the actor's display name before it goes on with Slack's handle. */
const NAME_WAIT_MS = 1000;

/** What the handlers ask of the App Home (HomeDesk, or on a replica the leader's through a hand-over). */
export type HomeTab = Pick<HomeDesk, 'opened' | 'changed' | 'notice'>;

export interface SlackHandlerDeps {
  /** Runs a command line: this process's engine, or the leader's on a replica that follows. */
  commands: CommandGateway;
  log: AdapterLogger;
  guard: ReplayGuard;
  playbookChoices: () => Array<{ name: string; title?: string; duration: string; blastRadius: string }>;
  maxDurationMs: number;
  /** The App Home tab (home.ts): published on app_home_opened, told of every command Slack ran. */
  home?: HomeTab;
  /** Display names (users.info, cached) for the actor of every command. */
  people?: SlackPeople;
}

/**
 * Wires Slack's doors (the slash command, button clicks, the propose modal, the "Add to game day"
 * message shortcut) to the same command dispatcher the console uses. Every handler acks first:
 * nothing slow sits before `ack()`.
 */
export function registerSlackHandlers(app: App, deps: SlackHandlerDeps): { drain(timeoutMs: number): Promise<boolean> } {
  const { commands, log } = deps;
  // Eight at a time: a proposal waits up to 1.5 s to learn whether its card got out, and with two
  // slots a burst of proposals kept everyone's status and help waiting a minute (npm run bench slack).
  const queue = new AfterAckQueue(8, (err) => log.error({ err }, 'slack work after ack failed'));
  /**
   * The actor with their display name. Work behind the queue may wait for users.info; abort and halt
   * never do (the name known now, and a lookup for next time).
   */
  const named = async (actor: Actor, wait: boolean): Promise<Actor> => {
    if (!deps.people) return actor;
    const lookup = deps.people.displayName(actor.id);
    // A slow users.info holds a command up a second at most; its answer still fills the cache.
    const name = deps.people.cached(actor.id) ?? (wait ? await within(lookup, NAME_WAIT_MS) : undefined);
    return name ? { ...actor, name } : actor;
  };
  const run = async (line: string, who: Actor, channel: string, urgent = false): Promise<Message> => {
    const actor = await named(who, !urgent);
    try {
      return await commands.run(line, actor, channel, { urgent });
    } finally {
      // A halt, a resume or a freeze changes every Home; transitions reach it through the engine.
      deps.home?.changed();
    }
  };

  // Our own errors out of the middleware: refusals are answered 401 by the receiver, not logged as failures.
  app.error(async (err) => {
    if (!isRequestRefusal(err)) log.error({ err, code: (err as { code?: string }).code }, 'slack request failed');
    throw err;
  });

  // A guard that cannot reach its database lets the request through: what it asks for cannot be done
  // without the database either, and the command's answer says so instead of Slack's "dispatch failed".
  const unchecked = (err: unknown): { action: 'act' } => {
    log.warn({ err }, 'replay guard could not check a request');
    return { action: 'act' };
  };

  // Every signed request is acted on once, also across restarts: a replay of one already handled is
  // refused, one dated more than five minutes ahead too; Slack's retries (X-Slack-Retry-Num) of a
  // request or an interaction already handled are acknowledged and dropped.
  app.use(async (args) => {
    const body = args.body as unknown as Record<string, unknown>;
    const ack = (args as unknown as { ack?: () => Promise<void> }).ack;
    const signed = (args.context as { slackRequest?: SignedRequest }).slackRequest;
    const verdict = signed ? await deps.guard.request(signed).catch(unchecked) : ({ action: 'act' } as const);
    if (verdict.action === 'refuse') {
      log.warn({ code: verdict.code, requestTimestamp: signed?.timestampSec, retryNum: args.context.retryNum, why: verdict.why }, 'slack request refused');
      throw new FaultlineError(verdict.code, `slack request refused: ${verdict.why}`, { requestTimestamp: signed?.timestampSec });
    }
    const key = interactionKey(body);
    if (verdict.action === 'ack' || (key && !(await deps.guard.firstTime(key).catch(() => true)))) {
      log.info({ key, retryNum: args.context.retryNum, retryReason: args.context.retryReason }, 'repeated slack interaction acknowledged and ignored');
      if (ack) await ack();
      return;
    }
    await args.next();
  });

  app.command('/chaos', async ({ command, ack, respond, client }) => {
    await ack();
    const text = command.text.trim();
    const actor: Actor = { id: command.user_id, team: command.team_id, name: command.user_name };
    // The modal's trigger_id expires 3 s after the command: open it now, not behind the queue.
    if (/^propose$/i.test(text)) {
      await client.views
        .open({ trigger_id: command.trigger_id, view: proposeModal({ playbooks: deps.playbookChoices(), channelId: command.channel_id, maxDurationMs: deps.maxDurationMs }) })
        .catch((err: unknown) => log.error({ user: actor.id, err }, 'opening the propose modal failed'));
      return;
    }
    // Abort (and halt) never wait behind other people's work.
    const urgent = /^(abort|halt|gameday\s+abort)\b/i.test(text);
    const work = async () => {
      const reply = await run(`/chaos ${text || 'help'}`, actor, command.channel_id, urgent);
      const { text: fallback, blocks } = messageToBlocks(reply);
      await respond({ response_type: reply.ephemeral ? 'ephemeral' : 'in_channel', text: fallback, blocks });
    };
    if (urgent) await work().catch((err: unknown) => log.error({ user: actor.id, text, err }, 'slash command answer failed'));
    else queue.push(work);
  });

  app.action(/^[a-z]+(:\d+)?$/, async ({ action, body, ack, respond }) => {
    await ack();
    if (body.type !== 'block_actions' || action.type !== 'button') return;
    const button = action as { action_id: string; value?: string };
    const verb = baseActionId(button.action_id);
    const line = buttonCommand(verb, button.value ?? '', true);
    if (!line) return;
    const actor: Actor = { id: body.user.id, team: body.user.team_id ?? body.team?.id ?? undefined, name: body.user.username ?? body.user.name };
    const channel = body.channel?.id ?? body.container?.channel_id ?? '';
    const fromHome = body.view?.type === 'home';
    const work = async () => {
      const reply = await run(line, actor, channel, ABORT_BUTTONS.has(verb));
      // Success shows on the card and in its thread; only the person who clicked hears a refusal.
      if (reply.errorCode && fromHome) deps.home?.notice(actor.id, `${reply.title ?? 'refused'} (${reply.errorCode})`);
      else if (reply.errorCode || reply.toClicker) {
        const { text, blocks } = messageToBlocks(reply);
        await respond({ response_type: 'ephemeral', replace_original: false, text, blocks });
      }
    };
    if (ABORT_BUTTONS.has(verb)) await work().catch((err: unknown) => log.error({ user: actor.id, verb, err }, 'button answer failed'));
    else queue.push(work);
  });

  // The Home tab: published when its owner opens it, kept current by HomeDesk.
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab === 'home') deps.home?.opened(event.user);
  });

  // Halt and Resume on the Home (the button's confirm dialog asked first). Halt never queues.
  app.action(HOME_ACTIONS.halt, async ({ body, ack }) => {
    await ack();
    const actor: Actor = { id: body.user.id, team: body.user.team_id ?? body.team?.id ?? undefined, name: (body.user as { name?: string }).name };
    await run('/chaos halt halted from the Home tab', actor, '', true).catch((err: unknown) => log.error({ user: actor.id, err }, 'halt from the home tab failed'));
  });
  app.action(HOME_ACTIONS.resume, async ({ body, ack }) => {
    await ack();
    const actor: Actor = { id: body.user.id, team: body.user.team_id ?? body.team?.id ?? undefined, name: (body.user as { name?: string }).name };
    queue.push(async () => {
      const reply = await run('/chaos resume', actor, '');
      if (reply.errorCode) deps.home?.notice(actor.id, `${reply.title ?? 'refused'} (${reply.errorCode})`);
    });
  });

  app.view(PROPOSE_CALLBACK_ID, async ({ ack, view, body, client }) => {
    const submission = readProposeSubmission(view as never, { knownPlaybooks: deps.playbookChoices().map((p) => p.name), maxDurationMs: deps.maxDurationMs });
    if (!submission.ok) {
      await ack({ response_action: 'errors', errors: submission.errors });
      return;
    }
    await ack();
    const actor: Actor = { id: body.user.id, team: body.user.team_id ?? body.team?.id ?? undefined, name: body.user.name };
    const words = [`/chaos propose ${submission.playbook}`];
    if (submission.overrides.duration !== undefined) words.push(`duration=${submission.overrides.duration}ms`);
    if (submission.overrides.blastRadius !== undefined) words.push(`blastRadius=${submission.overrides.blastRadius}`);
    queue.push(async () => {
      const reply = await run(words.join(' '), actor, submission.channel);
      if (reply.errorCode) await ephemeral(client, submission.channel, actor.id, reply);
    });
  });

  // "Add to game day" on a message: a note on the day of its thread, behind the queue like a typed note.
  registerMessageShortcut(app, { run: (line, actor, channel) => run(line, actor, channel), later: (work) => queue.push(work), log });
  return { drain: (timeoutMs) => queue.drain(timeoutMs) };
}

async function ephemeral(client: WebClient, channel: string, user: string, reply: Message): Promise<void> {
  const { text, blocks } = messageToBlocks(reply);
  await client.chat.postEphemeral({ channel, user, text, blocks });
}
