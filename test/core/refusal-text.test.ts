import { describe, expect, it } from 'vitest';
import { refusalText } from '../../src/core/refusal-text.js';

describe('refusals said to the person', () => {
  it('the refusals people meet in chat speak in the second person or name the thing, with what to do', () => {
    const met = ['approval_self', 'approval_not_approver', 'approval_plan_changed', 'approval_expired', 'not_permitted', 'halted', 'frozen', 'incident_open', 'blast_radius_exceeded', 'target_busy', 'concurrency_cap', 'ladder', 'experiment_not_found'];
    for (const code of met) {
      const t = refusalText(code, 'start');
      expect(t.title, code).not.toMatch(/[a-z]_[a-z]/); // a sentence, not a raw code
      expect(t.title, code).toMatch(/^(You|That|There|It|The|Chaos|A|An|Another|Too|Start|Nothing|Open|PagerDuty)\b/);
      expect(t.todo, code).toBeTruthy();
    }
  });

  it('a code without words of its own still reads as a sentence about the command', () => {
    expect(refusalText('internal_error', 'approve')).toEqual({ title: 'Your approve was refused' });
  });
});
