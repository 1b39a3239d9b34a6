import { describe, expect, it } from 'vitest';
import { actorLabel, SYSTEM } from '../../src/core/actor.js';
import { approverMentions, linkTo, mentionChannel, mentionGroup, mentionsIn, mentionUser, plainMentions } from '../../src/core/mention.js';

describe('mention tokens', () => {
  it('read as their labels outside chat, and carry id and kind', () => {
    const text = `approved by ${mentionUser('U0BOB', 'bob (U0BOB)')} for ${mentionGroup('S0SRE', 'members of S0SRE')} in ${mentionChannel('C0CHAOS')}; ${linkTo('https://x.example/p1', 'the thread')}`;
    expect(plainMentions(text)).toBe('approved by bob (U0BOB) for members of S0SRE in C0CHAOS; the thread: https://x.example/p1');
    expect(mentionsIn(text).map((m) => `${m.kind}:${m.id}`)).toEqual(['user:U0BOB', 'group:S0SRE', 'channel:C0CHAOS', 'link:https://x.example/p1']);
  });

  it('an actor is a mention labelled as before; the bot itself never is', () => {
    expect(plainMentions(actorLabel({ id: 'U0BOB', name: 'bob' }))).toBe('bob (U0BOB)');
    expect(mentionsIn(actorLabel({ id: 'U0BOB' }))).toEqual([{ kind: 'user', id: 'U0BOB', label: 'U0BOB' }]);
    expect(mentionsIn(actorLabel(SYSTEM))).toEqual([]);
  });

  it('delimiters inside an id or label cannot forge or break a token', () => {
    const forged = mentionUser('U0BOB\u{E001}\u{E000}g\u{E002}S0X\u{E002}x', 'bob\u{E001}');
    expect(mentionsIn(forged)).toHaveLength(1);
    expect(plainMentions(forged)).toBe('bob');
    // Half a token (a cut message) leaves no private-use characters behind.
    expect(plainMentions(mentionUser('U0BOB', 'bob').slice(0, 5))).not.toMatch(/[\u{E000}-\u{E002}]/u);
  });

  it('approvers on a card: every one but the proposer, workspace pins kept in the label, tokens passed through', () => {
    const group = mentionGroup('S0SRE', 'members of user group S0SRE');
    const out = approverMentions(['U0ALICE', 'T0BB/U0BOB', 'U0CAROL', group], 'U0ALICE');
    expect(out.map(plainMentions)).toEqual(['T0BB/U0BOB', 'U0CAROL', 'members of user group S0SRE']);
    expect(out.flatMap(mentionsIn).map((m) => m.id)).toEqual(['U0BOB', 'U0CAROL', 'S0SRE']);
  });
});
