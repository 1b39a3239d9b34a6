import { asFaultlineError, isFaultlineError } from '../src/core/errors.js';
import { withBindings } from './command-log.js';
import { errorMessage, type Message } from '../src/core/message.js';
import { refusalText } from '../src/core/refusal-text.js';
import { abortCommand } from './abort.js';
import { approveCommand } from './approve.js';
import { cancelCommand } from './cancel.js';
import type { Command, CommandContext, CommandSource } from './command.js';
import { freezeCommand } from './freeze.js';
import { gamedayCommand } from './gameday.js';
import { scheduleCommand } from './schedule.js';
import { haltCommand } from './halt.js';
import { helpCommand } from './help.js';
import { historyCommand } from './history.js';
import { listCommand } from './list.js';
import { postmortemCommand } from './postmortem.js';
import { proposeCommand } from './propose.js';
import { rejectCommand } from './reject.js';
import { resumeCommand } from './resume.js';
import { startCommand } from './start.js';
import { onCallCommand } from './oncall.js';
import { statusCommand } from './status.js';
import { approveStandingCommand, revokeStandingCommand } from './standing.js';

export type { Command, CommandContext, CommandSource } from './command.js';

/** The one map of chat verbs. */
export function commandRegistry(): ReadonlyMap<string, Command> {
  const map = new Map<string, Command>();
  const all = [proposeCommand, approveCommand, rejectCommand, startCommand, cancelCommand, abortCommand, statusCommand, listCommand, haltCommand, resumeCommand, postmortemCommand, historyCommand, freezeCommand, gamedayCommand, scheduleCommand, approveStandingCommand, revokeStandingCommand, onCallCommand, helpCommand(() => map)];
  for (const c of all) map.set(c.name, c);
  return map;
}

/** Splits a command line into words; double or single quotes keep spaces. */
export function tokenize(text: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) words.push(m[1] ?? m[2] ?? m[3] ?? '');
  return words;
}

/**
 * Runs one `/chaos …` line for an actor. Every line is audited with its outcome; a refused line
 * changes nothing else. Errors come back as messages with their code, never as stack traces.
 */
export async function dispatch(text: string, source: CommandSource, registry: ReadonlyMap<string, Command>): Promise<Message> {
  const words = tokenize(text.replace(/^\s*\/chaos\b/, ''));
  const verb = words[0] ?? 'help';
  const command = registry.get(verb);
  const ctx: CommandContext = { ...source, log: withBindings(source.log, { command: verb, actor: source.actor.id, channel: source.channel }) };
  // Any word from a game day's commander shows they are still there (a silent one makes the day hold).
  try {
    ctx.engine.seen(ctx.actor);
  } catch (err) {
    // Never let this bookkeeping stand in the way of a command (an abort above all); it is logged.
    ctx.log.warn({ err }, 'noting the commander as seen failed');
  }
  const audit = (ok: boolean, code?: string, error?: string) =>
    ctx.engine.audit(ok ? 'command' : 'refused', experimentIdIn(words), ctx.actor, {
      text: text.trim(),
      command: verb,
      channel: ctx.channel,
      ...(code ? { code } : {}),
      ...(error ? { message: error } : {}),
    });
  if (!command) {
    audit(false, 'command_unknown');
    return errorMessage('command_unknown', `Unknown command "${verb}"`, [`Try /chaos help. Commands: ${[...registry.keys()].join(', ')}`]);
  }
  const parsed = command.args.safeParse(words.slice(1));
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => (i.path.length ? `argument ${Number(i.path[0]) + 1}: ${i.message}` : i.message)).join('; ');
    audit(false, 'command_usage', why);
    return errorMessage('command_usage', `Usage: ${command.usage}`, [why]);
  }
  try {
    const reply = await command.run(parsed.data, ctx);
    audit(true);
    return reply;
  } catch (err) {
    if (isFaultlineError(err)) {
      audit(false, err.code, err.message);
      // In the second person: what refused it, why exactly, and what to do now.
      const said = refusalText(err.code, verb);
      return errorMessage(err.code, said.title, [err.message, ...(said.rule ? [said.rule] : []), ...(said.todo ? [`What to do: ${said.todo}`] : [])]);
    }
    // Not ours to name: a bug or a failure nobody coded for. The audit keeps the code, the log the stack.
    const wrapped = asFaultlineError(err);
    ctx.log.error({ err, line: text.trim() }, 'command failed unexpectedly');
    audit(false, wrapped.code, wrapped.message);
    return errorMessage(wrapped.code, `${verb} failed`, [wrapped.message]);
  }
}

function experimentIdIn(words: readonly string[]): string | null {
  return words.find((w) => /^(exp|gd)-[0-9a-f]{4,}$/.test(w)) ?? null;
}
