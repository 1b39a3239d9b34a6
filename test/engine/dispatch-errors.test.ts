import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { commandRegistry, dispatch } from '../../commands/index.js';
import { defineCommand, type Command } from '../../commands/command.js';
import { FaultlineError } from '../../src/core/errors.js';
import { message } from '../../src/core/message.js';
import { alice, engineFactory } from './engine-harness.js';

const engine = engineFactory();

/** The real registry plus one verb whose run fails the way `failWith` says. */
function registryWith(failWith: () => never): ReadonlyMap<string, Command> {
  const broken = defineCommand({ name: 'broken', usage: '/chaos broken', summary: 'fails', args: z.array(z.string()), run: async () => failWith() });
  return new Map([...commandRegistry(), ['broken', broken]]);
}

describe('a command that fails unexpectedly is visible (issue: errors you can see)', () => {
  it('a bug in a command answers internal_error, audits it, and logs the Error with its stack and the command line', async () => {
    const e = engine();
    const bug = new TypeError("Cannot read properties of undefined (reading 'record')");
    const reply = await dispatch('/chaos broken now please', { actor: alice, channel: '#chaos', engine: e.engine.facade, log: e.log }, registryWith(() => { throw bug; }));

    expect(reply.errorCode).toBe('internal_error');
    const refused = e.store.events().filter((ev) => ev.kind === 'refused');
    expect(refused.map((ev) => ev.data)).toEqual([expect.objectContaining({ command: 'broken', code: 'internal_error', text: '/chaos broken now please' })]);
    const logged = e.log.lines.filter((l) => l.level === 'error');
    expect(logged).toHaveLength(1);
    // The Error object itself (pino writes its stack), the line as typed, and who typed it where.
    expect(logged[0]!.obj).toMatchObject({ err: bug, line: '/chaos broken now please', command: 'broken', actor: 'alice', channel: '#chaos' });
    expect((logged[0]!.obj as { err: Error }).err.stack).toContain('TypeError');
  });

  it('a refusal is an answer, not a failure: coded, audited, and not logged as an error', async () => {
    const e = engine();
    const reply = await dispatch('/chaos broken', { actor: alice, channel: '#chaos', engine: e.engine.facade, log: e.log }, registryWith(() => {
      throw new FaultlineError('not_permitted', 'only an approver may do that');
    }));
    expect(reply.errorCode).toBe('not_permitted');
    expect(e.log.lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(e.store.events().filter((ev) => ev.kind === 'refused').map((ev) => ev.data.code)).toEqual(['not_permitted']);
  });

  it('what a command logs itself carries the command, actor and channel', async () => {
    const e = engine();
    const chatty = defineCommand({
      name: 'chatty',
      usage: '/chaos chatty',
      summary: 'logs',
      args: z.array(z.string()),
      run: async (_args, ctx) => {
        ctx.log.info({ detail: 1 }, 'did a thing');
        return message({ title: 'ok' });
      },
    });
    await dispatch('/chaos chatty', { actor: alice, channel: '#ops', engine: e.engine.facade, log: e.log }, new Map([['chatty', chatty]]));
    expect(e.log.lines.find((l) => l.msg === 'did a thing')?.obj).toEqual({ command: 'chatty', actor: 'alice', channel: '#ops', detail: 1 });
  });
});
