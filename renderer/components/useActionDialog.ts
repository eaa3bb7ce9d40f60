// The signed-action dialog's logic (the component only draws it): the key to sign with,
// the justification, the payload rebuilt against live HEAD and restamped as the clock
// runs, signing and submitting exactly the payload on screen, and the orchestrator's
// answer. The rules about what may be signed live in lib/actions.ts (pure, tested).
//
// - A refusal is about one payload: once the payload changes (HEAD, text, key, beat or
//   window: lib/actions.ts payloadSubject) it is cleared, so it never stands under a
//   payload it was not about. An unknown outcome stays: its re-send is still safe.
// - While a submission is in flight the form is disabled, which takes focus away from
//   the button or the text; when it ends with the dialog still open, focus comes back
//   inside it, so Esc and Ctrl+Enter keep working.

import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent, type RefObject } from 'react';
import { describeError, type Proposal, type SubmitOutcome } from '../api/ConsoleApi';
import { checkWindow, type Schedule } from '../../core/window';
import type { Hash } from '../../core/types';
import { buildAction, payloadSubject, signingKeysFirst, submitBlock, type ActionDef } from '../lib/actions';
import { actionWindow } from '../lib/backbeat';
import { useNow } from '../state/clock';
import { useConsole, useLive } from '../state/context';
import type { KeysModel } from './useOperatorKeys';

/** The payload's clock reading is refreshed after this long, so an idle dialog does not sign an old time. */
const RESTAMP_MS = 5000;

export interface ActionDone {
  transition: string;
  index: number;
  duplicate: boolean;
  signer: string;
  at_ms: number;
}

export type Refusal =
  | { kind: 'refused'; status: number; code: string; reason: string; guard?: string; reasons?: string[]; subject: Hash | null }
  | { kind: 'unknown'; reason: string; signed: Proposal };

function newUuid(): string {
  const c = globalThis.crypto as Crypto & { randomUUID?: () => string };
  if (c.randomUUID) return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export interface ActionDialogProps {
  def: ActionDef;
  keys: KeysModel;
  onClose: () => void;
  onDone: (d: ActionDone) => void;
}

export function useActionDialog({ def, keys, onClose, onDone }: ActionDialogProps) {
  const { api, spec } = useConsole();
  const head = useLive().head;
  const state = head?.state ?? null;
  const operatorKeys = useMemo(() => signingKeysFirst(keys.keys, state), [keys.keys, state]);
  const [keyId, setKeyId] = useState<string | null>(null);
  const key = operatorKeys.find((k) => k.id === keyId) ?? operatorKeys[0] ?? null;
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [keyError, setKeyError] = useState<string | null>(null);
  const [uuid] = useState(newUuid);
  const now = useNow();
  const classes = spec.transitions[def.transition]?.window ?? null;
  const schedule = head?.state.execution.backbeat ?? null;
  const stamp = useStamp({ now, busy, schedule, classes, headHash: head?.hash, text, keyId: key?.id });
  const textRef = useRef<HTMLTextAreaElement>(null);
  const dialogRef = useRef<HTMLDivElement>(null);

  const built = useMemo(() => {
    if (!head || !key) return null;
    return buildAction({
      spec,
      head: { hash: head.hash, state: head.state },
      transition: def.transition,
      text,
      signer: key.signer,
      now_ms: stamp,
      uuid,
      fixed_inputs: def.fixed_inputs,
    });
  }, [spec, head, key, def.transition, def.fixed_inputs, text, stamp, uuid]);
  const subject = built ? payloadSubject(built) : null;
  const subjectRef = useRef(subject);
  subjectRef.current = subject;

  useOpenerFocus(textRef);
  useFocusBackAfter(busy, dialogRef, textRef);
  // A refusal stands only under the payload it was about.
  useEffect(() => {
    setRefusal((r) => (r?.kind === 'refused' && r.subject !== subject ? null : r));
  }, [subject]);

  const send = async (signed: Proposal) => {
    setBusy(true);
    let outcome: SubmitOutcome;
    try {
      outcome = await api.submitProposal(signed);
    } catch (err) {
      setRefusal({ kind: 'unknown', reason: describeError(err), signed });
      setBusy(false);
      return;
    }
    setBusy(false);
    if (outcome.ok) {
      onDone({
        transition: signed.transition,
        index: outcome.index,
        duplicate: outcome.duplicate,
        signer: signed.signer,
        at_ms: Date.now(),
      });
      onClose();
      return;
    }
    const e = outcome.error;
    // About the payload on screen when the answer lands: a later change clears it.
    setRefusal({
      kind: 'refused',
      status: outcome.status,
      code: e.code,
      reason: e.reason,
      guard: e.guard,
      reasons: e.reasons,
      subject: subjectRef.current,
    });
  };

  const blockReason = busy ? null : submitBlock(built, key);
  const submit = async () => {
    if (busy || blockReason !== null || !built || !key) return;
    const shown = built.unsigned;
    setBusy(true);
    setRefusal(null);
    let signed: Proposal;
    try {
      signed = await keys.run((s) => s.sign(key.id, shown));
    } catch (err) {
      setKeyError(describeError(err));
      setBusy(false);
      return;
    }
    await send(signed);
  };

  const unlock = useUnlock(keys, key?.id ?? null, setKeyError);
  const close = () => !busy && onClose();
  const onKeyDown = (e: KeyboardEvent) => {
    // The dialog is modal: the console's view shortcuts must not act behind it.
    e.stopPropagation();
    if (e.key === 'Escape') close();
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void submit();
    }
  };

  const win = built?.window ?? null;
  // Same function as the Actions row and the BACKBEAT strip, so the three agree.
  const act_window = schedule && classes && classes.length > 0 ? actionWindow(schedule, classes, now) : null;

  return {
    head,
    state,
    operatorKeys,
    key,
    setKeyId,
    text,
    setText,
    busy,
    keyError,
    built,
    refusal,
    blockReason,
    submit,
    resend: (signed: Proposal) => void send(signed),
    unlock,
    close,
    onKeyDown,
    win,
    act_window,
    textRef,
    dialogRef,
  };
}

export type ActionDialogModel = ReturnType<typeof useActionDialog>;

/**
 * The clock reading the payload is built at: taken again when HEAD, the text or the key
 * change, every RESTAMP_MS, and when a window opens or closes; never while a submission
 * is in flight (what is signed is what was shown).
 */
function useStamp(o: {
  now: number;
  busy: boolean;
  schedule: Schedule | null;
  classes: readonly string[] | null;
  headHash?: string;
  text: string;
  keyId?: string;
}): number {
  const { now, busy, schedule, classes, headHash, text, keyId } = o;
  const [stamp, setStamp] = useState(() => Date.now());
  const openAt = useCallback((ms: number) => (schedule && classes ? checkWindow(schedule, classes, ms).open : null), [schedule, classes]);
  useEffect(() => {
    if (!busy) setStamp(Date.now());
  }, [headHash, text, keyId, busy]);
  useEffect(() => {
    if (busy) return;
    if (now - stamp > RESTAMP_MS || openAt(now) !== openAt(stamp)) setStamp(now);
  }, [now, stamp, busy, openAt]);
  return stamp;
}

/** Focus goes to the justification, and back to whatever opened the dialog when it closes. */
function useOpenerFocus(textRef: RefObject<HTMLTextAreaElement | null>): void {
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    textRef.current?.focus();
    return () => opener?.focus?.();
  }, [textRef]);
}

/** When a submission ends with the dialog open, focus returns inside it (it fell to <body> when the form was disabled). */
function useFocusBackAfter(
  busy: boolean,
  dialogRef: RefObject<HTMLDivElement | null>,
  textRef: RefObject<HTMLTextAreaElement | null>,
): void {
  useEffect(() => {
    if (busy) return;
    const dialog = dialogRef.current;
    if (dialog && !dialog.contains(document.activeElement)) (textRef.current ?? dialog).focus();
  }, [busy, dialogRef, textRef]);
}

/** The passphrase form of a locked key: the passphrase is dropped from state before deriving. */
function useUnlock(keys: KeysModel, keyId: string | null, setKeyError: (e: string | null) => void) {
  const [pass, setPass] = useState('');
  const [unlocking, setUnlocking] = useState(false);
  const run = async () => {
    if (!keyId || pass === '') return;
    const p = pass;
    setPass('');
    setUnlocking(true);
    setKeyError(null);
    try {
      await keys.run((s) => s.unlock(keyId, p));
    } catch (err) {
      setKeyError(describeError(err));
    } finally {
      setUnlocking(false);
    }
  };
  return { pass, setPass, unlocking, run };
}
