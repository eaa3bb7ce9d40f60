// Reading a record number typed by the operator ("44", "#44"): either the index or the
// reason it is not one, said as the Timeline says it, so no box ignores input silently.

export type RecordIndexResult = { ok: true; index: number } | { ok: false; reason: string };

/** A WAL record index in [1, head] from `text`, or why not (with HEAD named). */
export function parseRecordIndex(text: string, head: number): RecordIndexResult {
  const t = text.trim().replace(/^#/, '');
  if (t === '') return { ok: false, reason: 'type a record number, e.g. 1' };
  if (!/^\d{1,15}$/.test(t))
    return { ok: false, reason: `"${text.trim()}" is not a record number (1…${head}), e.g. #${Math.max(1, head)}` };
  const index = Number(t);
  if (head < 1) return { ok: false, reason: 'no record has been accepted yet' };
  if (index < 1) return { ok: false, reason: `records start at #1 (#0 is the genesis); HEAD is #${head}` };
  if (index > head) return { ok: false, reason: `HEAD is #${head}` };
  return { ok: true, index };
}
