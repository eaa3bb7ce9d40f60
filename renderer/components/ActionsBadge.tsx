// A compact "awaiting the operator" affordance for the header: shown only while a
// quarantine or a REVIEW/REVERB approval awaits a human, it opens the Actions view.
// An approval reads "Waiting for your approval": the demo loop stops there for the human.

import { useMemo } from 'react';
import { awaitingOperator } from '../lib/actions';
import { useConsole, useLive } from '../state/context';

export function ActionsBadge() {
  const { spec } = useConsole();
  const live = useLive();
  const state = live.head?.state ?? null;
  const waiting = useMemo(() => (state ? awaitingOperator(spec, state) : []), [spec, state]);
  const first = waiting[0];
  if (!first || !state) return null;
  const quarantine = state.policy.quarantined;
  // In the demo the bot approves as op-2 only; the loop waits here for the human's op-1.
  const approval = first.transition === 'Execution_Approve';
  return (
    <a
      className={`actions-badge ${quarantine ? 'tone-danger' : 'tone-accent'}`}
      href="#/actions"
      title={`Awaiting the operator: ${waiting.map((d) => d.verb).join(', ')} (Actions view, 6 or g a)`}
      data-testid="actions-badge"
    >
      <span className="actions-badge-dot" aria-hidden="true" />
      <span className="actions-badge-label">{approval ? 'Waiting for' : 'Action'}</span>
      <span className="actions-badge-verb">{approval ? 'your approval' : first.verb.split(' ')[0]}</span>
    </a>
  );
}
