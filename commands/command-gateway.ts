import type { Actor } from '../src/core/actor.js';
import type { Message } from '../src/core/message.js';
import type { AdapterLogger } from '../src/core/ports.js';
import type { EngineFacade } from '../src/engine/facade.js';
import type { Command } from './command.js';
import { dispatch } from './index.js';

/**
 * Where a chat adapter sends a command line: the engine in this process, or, on a replica that
 * does not lead, the replica that does (app/replica/handoff-gateway.ts). The answer is the same
 * `Message` either way.
 */
export interface CommandGateway {
  /** `urgent`: abort and halt, which never queue behind other work. */
  run(line: string, actor: Actor, channel: string, opts: { urgent: boolean }): Promise<Message>;
}

/** The commands run here, against this process's engine. */
export function localGateway(engine: EngineFacade, registry: ReadonlyMap<string, Command>, log: AdapterLogger): CommandGateway {
  return { run: (line, actor, channel) => dispatch(line, { actor, channel, engine, log }, registry) };
}
