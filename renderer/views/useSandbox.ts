// The what-if sandbox's logic (SandboxView.tsx only draws it): forking the history at an
// index, the editable list of steps, the signature mode, and re-running the pure reducer
// (lib/sandbox.ts) whenever any of them changes, with only the latest run landing. The
// list operations and key bindings are pure and tested in lib/sandbox.ts.

import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { describeError, type OperatorKeyInfo, type WalRecord } from '../api/ConsoleApi';
import type { Proposal } from '../../core/types';
import { diffJson } from '../lib/diff';
import {
  editStep,
  forkPlan,
  insertAfter,
  listCommand,
  moveStep,
  removeAdded,
  runSandbox,
  stepsFromWal,
  toggleSkip,
  type SandboxBase,
  type SandboxRun,
  type SandboxStep,
  type StepOutcome,
} from '../lib/sandbox';
import { useConsole } from '../state/context';
import { pageOf } from '../state/frames';
import type { LiveStore } from '../state/live';

export const DEFAULT_STEPS = 40;
/** The reducer re-runs this long after the last change (typing in the bar, a burst of key presses). */
const RERUN_DELAY_MS = 120;

export interface Fork {
  base: SandboxBase;
  /** Live state_post_hash by index for the loaded window. */
  live: Map<number, string>;
}

export interface EditorTarget {
  mode: 'add' | 'edit';
  afterId: string | null;
  stepId: string | null;
}

/** The state at `at` and the WAL records after it, loaded through the live store's (cached) loader. */
async function loadFork(live: LiveStore, at: number, count: number): Promise<{ fork: Fork; records: WalRecord[] }> {
  const h = live.getSnapshot().head?.index ?? 0;
  const checked = forkPlan(at, count, h);
  if (!checked.ok) throw new Error(checked.reason);
  const { count: n } = checked.plan;
  const records: WalRecord[] = [];
  if (n > 0) {
    for (let p = pageOf(at + 1); p <= pageOf(at + n); p += 1) {
      for (const r of await live.loader.page(p, h)) if (r.index > at && r.index <= at + n) records.push(r);
    }
  }
  const base = await live.loader.stateAt(at, h);
  return {
    fork: { base: { index: at, hash: base.hash, state: base.state }, live: new Map(records.map((r) => [r.index, r.state_post_hash])) },
    records,
  };
}

export function useSandbox() {
  const { api, live } = useConsole();
  const [fork, setFork] = useState<Fork | null>(null);
  const [steps, setSteps] = useState<SandboxStep[]>([]);
  const [rebase, setRebase] = useState(true);
  const [keys, setKeys] = useState<OperatorKeyInfo[]>([]);
  const [signWith, setSignWith] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [editor, setEditor] = useState<EditorTarget | null>(null);
  const seq = useRef(0);
  const listRef = useRef<HTMLDivElement>(null);

  // Re-read the keys when the editor opens or closes: one may have been unlocked meanwhile.
  useEffect(() => {
    api.keys.list().then(setKeys, () => setKeys([]));
  }, [api, editor]);

  const doFork = useCallback(
    async (at: number, count: number) => {
      setError(null);
      try {
        const { fork: f, records } = await loadFork(live, at, count);
        setFork(f);
        setSteps(stepsFromWal(records));
        setSelected(records[0] ? `w${records[0].index}` : null);
        setEditor(null);
      } catch (err) {
        setError(describeError(err));
      }
    },
    [live],
  );

  const key = keys.find((k) => k.id === signWith && k.unlocked) ?? null;
  const { run, running } = useSandboxRun(fork, steps, rebase, key, setError);

  const outcomes = useMemo(() => new Map((run?.outcomes ?? []).map((o) => [o.step_id, o])), [run]);
  const selIndex = steps.findIndex((s) => s.id === selected);
  const selStep = selIndex >= 0 ? (steps[selIndex] as SandboxStep) : null;
  const selOutcome = selStep ? (outcomes.get(selStep.id) ?? null) : null;

  const skip = (id: string) => setSteps((s) => toggleSkip(s, id));
  const move = (id: string, delta: number) =>
    setSteps((s) =>
      moveStep(
        s,
        s.findIndex((x) => x.id === id),
        delta,
      ),
    );
  const remove = (id: string) => setSteps((s) => removeAdded(s, id));

  const onListKey = (e: KeyboardEvent) => {
    const cmd = listCommand(e.key, e.shiftKey);
    if (steps.length === 0 || !cmd) return;
    const i = Math.max(0, selIndex);
    const id = (steps[i] as SandboxStep).id;
    if (cmd.kind === 'move') move(id, cmd.delta);
    else if (cmd.kind === 'select') setSelected((steps[Math.max(0, Math.min(steps.length - 1, i + cmd.delta))] as SandboxStep).id);
    else if (cmd.kind === 'skip') skip(id);
    else if (cmd.kind === 'edit') setEditor({ mode: 'edit', afterId: null, stepId: id });
    else if (cmd.kind === 'add') setEditor({ mode: 'add', afterId: id, stepId: null });
    else remove(id);
    e.preventDefault();
    e.stopPropagation();
  };

  /** The editor's result: replaces the edited step, or inserts a new one and selects it. */
  const save = (target: EditorTarget, proposal: Proposal) => {
    const editing = target.mode === 'edit' ? target.stepId : null;
    if (editing) {
      setSteps((ss) => editStep(ss, editing, proposal));
    } else {
      seq.current += 1;
      const id = `a${seq.current}`;
      const step: SandboxStep = { id, origin: 'added', wal_index: null, proposal, skip: false };
      setSteps((ss) => insertAfter(ss, target.afterId, step));
      setSelected(id);
    }
    setEditor(null);
    listRef.current?.focus();
  };

  useEffect(() => {
    listRef.current?.querySelector('.sb-row.is-selected')?.scrollIntoView({ block: 'nearest' });
  }, [selected, steps]);

  /** The proposal a new or edited step follows (its HLC comes one tick after). */
  const editorAfter = (target: EditorTarget): Proposal | null =>
    target.afterId
      ? (outcomes.get(target.afterId)?.judged ?? steps.find((s) => s.id === target.afterId)?.proposal ?? null)
      : (steps[steps.length - 1]?.proposal ?? null);

  return {
    fork,
    steps,
    rebase,
    setRebase,
    keys,
    key,
    setSignWith,
    run,
    running,
    error,
    selected,
    setSelected,
    editor,
    setEditor,
    outcomes,
    selStep,
    selOutcome,
    doFork,
    skip,
    move,
    remove,
    onListKey,
    save,
    editorAfter,
    listRef,
  };
}

export type SandboxModel = ReturnType<typeof useSandbox>;

/** Re-runs the reducer whenever the fork, the steps or the modes change; only the latest run lands. */
function useSandboxRun(
  fork: Fork | null,
  steps: SandboxStep[],
  rebase: boolean,
  key: OperatorKeyInfo | null,
  setError: (e: string) => void,
) {
  const { api, spec } = useConsole();
  const [run, setRun] = useState<SandboxRun | null>(null);
  const [running, setRunning] = useState(false);
  const runNo = useRef(0);
  useEffect(() => {
    if (!fork) return;
    const mine = ++runNo.current;
    setRunning(true);
    const t = setTimeout(() => {
      runSandbox(fork.base, steps, {
        spec,
        rebase,
        liveHashAt: (i) => (i === fork.base.index ? fork.base.hash : (fork.live.get(i) ?? null)),
        sign: key ? { signer: key.signer, label: key.label, sign: (u) => api.keys.sign(key.id, u) } : undefined,
        pause: () => new Promise((r) => setTimeout(r, 0)),
      }).then(
        (r) => {
          if (runNo.current !== mine) return;
          setRun(r);
          setRunning(false);
        },
        (err: unknown) => {
          if (runNo.current !== mine) return;
          setError(describeError(err));
          setRunning(false);
        },
      );
    }, RERUN_DELAY_MS);
    return () => clearTimeout(t);
  }, [fork, steps, rebase, key, spec, api, setError]);
  return { run, running };
}

export type LiveDiff = { index: number; entries: ReturnType<typeof diffJson> } | { index: number; error: string } | null;

/** For a step whose sandbox state differs from the live one: the live state at its index, diffed against it. */
export function useLiveDiff(out: StepOutcome | null): LiveDiff {
  const { live } = useConsole();
  const [liveDiff, setLiveDiff] = useState<LiveDiff>(null);
  const index = out?.result === 'accepted' ? out.index : null;
  useEffect(() => {
    setLiveDiff(null);
    if (index === null || !out?.state || out.same_as_live !== false) return;
    let stale = false;
    const after = out.state;
    live.loader.stateAt(index, live.getSnapshot().head?.index ?? index).then(
      (at) => !stale && setLiveDiff({ index, entries: diffJson(at.state, after, 200) }),
      (err: unknown) => !stale && setLiveDiff({ index, error: describeError(err) }),
    );
    return () => {
      stale = true;
    };
  }, [index, out, live]);
  return liveDiff;
}
