import { z } from 'zod';
import { actorLabel } from '../src/core/actor.js';
import { message } from '../src/core/message.js';
import { parseLongDuration } from '../src/core/schedule.js';
import { formatDays } from '../src/core/schedule-standing.js';
import { defineCommand } from './command.js';

const Selector = z
  .string()
  .regex(/^[A-Za-z0-9._/-]+=[A-Za-z0-9._-]+(,[A-Za-z0-9._/-]+=[A-Za-z0-9._-]+)*$/, 'target key=value[,key=value]')
  .transform((text) => Object.fromEntries(text.split(',').map((pair) => pair.split('=', 2) as [string, string])));

const Length = z.string().transform((text, ctx) => {
  const ms = parseLongDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `for ${text}: expected a length like 7d, 12h or 1d12h` });
    return z.NEVER;
  }
  return ms;
});

/** `<playbook> [for 7d] [target key=value,…]`, in that order. */
const GrantArgs = z.union([
  z.tuple([z.string().min(1)]).transform(([playbook]) => ({ playbook })),
  z.tuple([z.string().min(1), z.literal('for'), Length]).transform(([playbook, , forMs]) => ({ playbook, forMs })),
  z.tuple([z.string().min(1), z.literal('target'), Selector]).transform(([playbook, , selector]) => ({ playbook, selector })),
  z.tuple([z.string().min(1), z.literal('for'), Length, z.literal('target'), Selector]).transform(([playbook, , forMs, , selector]) => ({ playbook, forMs, selector })),
]);

export const approveStandingCommand = defineCommand({
  name: 'approve-standing',
  usage: '/chaos approve-standing <playbook> [for 7d] [target key=value[,key=value]]',
  summary: 'let pipeline runs (faultline run) of a playbook, as it is now, start without asking again',
  args: GrantArgs.transform((a): { playbook: string; forMs?: number; selector?: Record<string, string> } => a),
  async run(args, ctx) {
    const st = ctx.engine.standing.grant(args.playbook, ctx.actor, { ...(args.forMs !== undefined ? { forMs: args.forMs } : {}), ...(args.selector ? { selector: args.selector } : {}) });
    const on = st.selector ? ` on ${Object.entries(st.selector).map(([k, v]) => `${k}=${v}`).join(',')}` : '';
    return message({
      title: `Standing approval of ${st.playbook} by ${actorLabel(st.by)}`,
      tone: 'success',
      sections: [
        `Until ${new Date(st.expiresAt).toISOString()} (${formatDays(st.expiresAt - st.grantedAt)}), \`faultline run ${st.playbook}\`${on} starts without asking, as long as the playbook stays as it is now (spec ${st.specHash.slice(0, 12)}) and the run overrides nothing. Each run is announced on its card, with its Abort button; freezes, halts and busy targets still refuse it.`,
        `Take it back with /chaos revoke-standing ${st.playbook}.`,
      ],
    });
  },
});

export const revokeStandingCommand = defineCommand({
  name: 'revoke-standing',
  usage: '/chaos revoke-standing <playbook>',
  summary: 'take back a standing approval of a playbook (anyone may)',
  args: z.tuple([z.string().min(1)]),
  async run([playbook], ctx) {
    const had = ctx.engine.standing.revoke(playbook, ctx.actor);
    return message({
      title: had ? `Standing approval of ${playbook} revoked` : `${playbook} had no standing approval`,
      tone: had ? 'warning' : 'info',
      sections: ['Each pipeline run now waits for an approver.'],
    });
  },
});
