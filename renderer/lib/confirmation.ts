// The confirmation after an accepted action: "Released at #44" (a link to the record in
// the timeline) and what happened right after, which the operator would otherwise miss
// ("re-quarantined at #45 by op-2"). Pure: the caller reads the records after the action.

/** How many records after the action are worth saying (the immediate consequences). */
export const FOLLOWUPS_MAX = 3;

const DONE_VERB: Record<string, string> = {
  Quarantine_Release: 'Released',
  Quarantine_ConfirmBlock: 'Block confirmed',
  Execution_Approve: 'Approved',
  Control_Pause: 'Paused',
  Control_Resume: 'Resumed',
};

/** What a record right after the action means to the operator who just acted. */
const FOLLOWUP_VERB: Record<string, string> = {
  Policy_Violation: 're-quarantined',
  Execution_ApprovalsThreshold: 'approvals threshold met',
  Execution_Submit: 'loop submitted',
  Control_Pause: 'paused',
  Control_Resume: 'resumed',
  Quarantine_Release: 'released',
};

export interface Followup {
  index: number;
  text: string;
}

export interface Confirmation {
  /** "Released at #44" (or "… (already applied)"). */
  headline: string;
  index: number;
  followups: Followup[];
}

export function confirmationOf(
  done: { transition: string; index: number; duplicate: boolean },
  after: ReadonlyArray<{ index: number; transition: string; signer: string }>,
  nameOf: (signer: string) => string,
): Confirmation {
  const verb = DONE_VERB[done.transition] ?? done.transition;
  const headline = `${verb} at #${done.index}${done.duplicate ? ' (already applied)' : ''}`;
  const followups = after
    .filter((r) => r.index > done.index)
    .sort((a, b) => a.index - b.index)
    .slice(0, FOLLOWUPS_MAX)
    .map((r) => ({ index: r.index, text: `${FOLLOWUP_VERB[r.transition] ?? r.transition} at #${r.index} by ${nameOf(r.signer)}` }));
  return { headline, index: done.index, followups };
}
