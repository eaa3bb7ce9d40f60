import { describe, expect, it } from 'vitest';
import { confirmationOf, FOLLOWUPS_MAX } from './confirmation';

const names: Record<string, string> = { k1: 'op-1', k2: 'op-2', a1: 'agent-1' };
const nameOf = (s: string) => names[s] ?? s;

describe('confirmationOf', () => {
  it('says what was done and where: "Released at #44"', () => {
    expect(confirmationOf({ transition: 'Quarantine_Release', index: 44, duplicate: false }, [], nameOf)).toEqual({
      headline: 'Released at #44',
      index: 44,
      followups: [],
    });
    expect(confirmationOf({ transition: 'Execution_Approve', index: 7, duplicate: true }, [], nameOf).headline).toBe(
      'Approved at #7 (already applied)',
    );
  });

  it('adds what happened right after, in order, with who did it; ignores earlier records; bounded', () => {
    const after = [
      { index: 46, transition: 'Execution_PlanLocked', signer: 'a1' },
      { index: 45, transition: 'Policy_Violation', signer: 'k2' },
      { index: 43, transition: 'Policy_Violation', signer: 'k2' },
      { index: 47, transition: 'Execution_Submit', signer: 'a1' },
      { index: 48, transition: 'Execution_NextWindow', signer: 'a1' },
    ];
    const c = confirmationOf({ transition: 'Quarantine_Release', index: 44, duplicate: false }, after, nameOf);
    expect(c.followups).toHaveLength(FOLLOWUPS_MAX);
    expect(c.followups[0]).toEqual({ index: 45, text: 're-quarantined at #45 by op-2' });
    expect(c.followups[1]?.text).toBe('Execution_PlanLocked at #46 by agent-1');
    expect(c.followups[2]?.text).toBe('loop submitted at #47 by agent-1');
  });
});
