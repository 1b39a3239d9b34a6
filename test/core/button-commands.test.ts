import { describe, expect, it } from 'vitest';
import { commandRegistry, tokenize } from '../../commands/index.js';
import { BUTTON_COMMANDS, buttonCommand } from '../../src/core/button-commands.js';
import { message } from '../../src/core/message.js';
import { renderMessage } from '../../src/adapters/chat/console/renderer.js';

describe('card buttons as commands', () => {
  it('every button names a registered verb whose arguments accept the id it carries', () => {
    const registry = commandRegistry();
    for (const [actionId, { command }] of Object.entries(BUTTON_COMMANDS)) {
      const id = actionId.startsWith('gd') ? 'gd-1a2b3c' : 'exp-1a2b3c';
      const [verb, ...args] = tokenize(buttonCommand(actionId, id, true)!.replace(/^\/chaos /, ''));
      const c = registry.get(verb!);
      expect(c, `${actionId} → ${command}`).toBeDefined();
      expect(c!.args.safeParse(args).success, `${actionId} → ${args.join(' ')}`).toBe(true);
    }
    expect(buttonCommand('nope', 'x')).toBeUndefined();
  });

  it('the console prints game-day buttons as the command to type', () => {
    const text = renderMessage(message({ title: 't', buttons: [{ label: 'Continue', actionId: 'gdcontinue', value: 'gd-1a2b3c' }, { label: 'Approve', actionId: 'approve', value: 'exp-1a2b3c' }] }));
    expect(text).toContain('[Continue] /chaos gameday continue gd-1a2b3c');
    expect(text).toContain('[Approve] /chaos approve exp-1a2b3c');
  });
});
