import { describe, expect, it } from 'vitest';
import { messageToBlocks } from '../../src/adapters/chat/slack/blocks.js';
import { slackMentions } from '../../src/adapters/chat/slack/mrkdwn.js';
import { linkTo, mentionChannel, mentionGroup, mentionUser } from '../../src/core/mention.js';
import { message } from '../../src/core/message.js';

describe('mentions in Block Kit', () => {
  it('people, groups and channels become Slack mentions in mrkdwn, labels in plain text', () => {
    const msg = message({
      title: `Approved by ${mentionUser('U0BOB', 'bob (U0BOB)')}`,
      fields: [{ label: 'Approvers', value: `${mentionUser('U0CAROL')}, ${mentionGroup('S0SRE', 'members of S0SRE')}` }],
      sections: [`in ${mentionChannel('C0CHAOS')}: ${linkTo('https://x.slack.com/archives/C0CHAOS/p1', 'Open the thread')}`],
    });
    const { text, blocks } = messageToBlocks(msg);
    const json = JSON.stringify(blocks);
    expect(json).toContain('"text":"Approved by bob (U0BOB)"'); // a header is plain_text: no mentions there
    expect(json).toContain('<@U0CAROL>, <!subteam^S0SRE>');
    expect(json).toContain('in <#C0CHAOS>: <https://x.slack.com/archives/C0CHAOS/p1|Open the thread>');
    expect(text).toContain('Approved by <@U0BOB>'); // the notification text mentions too
    expect(json).not.toMatch(/[\u{E000}-\u{E002}]/u);
  });

  it('an id not shaped like Slack\'s stays its label, and text around a mention is still escaped', () => {
    expect(slackMentions(`${mentionUser('alice', 'alice')} &lt;!channel&gt;`)).toBe('alice &lt;!channel&gt;');
    const { blocks } = messageToBlocks(message({ sections: [`<!channel> ${mentionUser('U0BOB')} <https://evil|x>`] }));
    const json = JSON.stringify(blocks);
    expect(json).toContain('&lt;!channel&gt; <@U0BOB> &lt;https://evil|x&gt;');
  });

  it('a link whose URL would end the link early is left as text', () => {
    expect(slackMentions(linkTo('https://x/a|b', 'label'))).toBe('label: https://x/a|b');
    expect(slackMentions(linkTo('javascript:alert(1)', 'label'))).toBe('label: javascript:alert(1)');
  });
});
