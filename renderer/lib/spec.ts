// The machine the console draws: the statechart YAML loaded through the same pure
// loader the host uses (core/spec.ts), so the chart cannot drift from the reducer.

import { GUARD_NAMES } from '../../core/guards';
import { isActive, loadSpec, type Spec, type TransitionSpec } from '../../core/spec';
import { activeLeaves, type State } from '../../core/state';

export type { Spec, TransitionSpec };
export { activeLeaves, isActive };

export function specFromYaml(yamlText: string): { ok: true; spec: Spec } | { ok: false; error: string } {
  const r = loadSpec(yamlText, GUARD_NAMES);
  if (r.ok) return r;
  return { ok: false, error: r.errors.map((e) => `${e.entry}: ${e.reason}`).join('\n') };
}

/** Every state on the path from a root region down to each active leaf. */
export function activeSet(leaves: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const leaf of leaves) {
    const parts = leaf.split('.');
    for (let i = 1; i <= parts.length; i += 1) out.add(parts.slice(0, i).join('.'));
  }
  return out;
}

export interface Enabled {
  transition: TransitionSpec;
  /** Why it is structurally blocked; empty when the configuration allows it. */
  blocked: string[];
}

/**
 * Transitions whose source is active, with the structural gates of core/reduce.ts
 * (terminated, quarantined, paused, licence, requires_in) applied. Data guards
 * (signatures, quorum, windows, pins) are the reducer's to judge; this list is what the
 * configuration alone allows, for display and for offering operator actions.
 */
export function enabledTransitions(spec: Spec, state: State): Enabled[] {
  const leaves = activeLeaves(state);
  const out: Enabled[] = [];
  for (const t of Object.values(spec.transitions)) {
    if (!t.from.some((p) => isActive(leaves, p))) continue;
    const blocked: string[] = [];
    if (state.control.terminated) blocked.push('terminated');
    if (state.policy.quarantined && !t.when_quarantined) blocked.push('quarantined');
    if (state.control.paused && !t.when_paused) blocked.push('paused');
    if (!t.license_exempt && (state.boot.license === null || state.boot.phase === 'EXPIRED')) {
      blocked.push('no licence in force');
    }
    for (const p of t.requires_in) if (!isActive(leaves, p)) blocked.push(`needs ${p.split('.').slice(-2).join('.')}`);
    out.push({ transition: t, blocked });
  }
  return out.sort((a, b) => a.blocked.length - b.blocked.length || a.transition.name.localeCompare(b.transition.name));
}

export interface TransitionDelta {
  exited: string[];
  entered: string[];
}

/** Active leaves left and entered between two states (for the transition animation). */
export function leafDelta(pre: State | null, post: State): TransitionDelta {
  const after = activeLeaves(post);
  if (pre === null) return { exited: [], entered: [] };
  const before = activeLeaves(pre);
  return {
    exited: before.filter((l) => !after.includes(l)),
    entered: after.filter((l) => !before.includes(l)),
  };
}
