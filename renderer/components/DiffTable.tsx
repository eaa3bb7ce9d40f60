// A state diff as a table (path, one side, the other), one definition for the timeline's
// "Changes" tab and the sandbox's comparison against live.

import type { diffJson } from '../lib/diff';
import { preview } from '../lib/diff';

export interface DiffTableProps {
  entries: ReturnType<typeof diffJson>;
  /** Column heads of the two sides, e.g. ['Before', 'After']. */
  sides: readonly [string, string];
  /** How much of a value a cell shows; its title shows up to 2000 chars. */
  preview_chars: number;
  testId?: string;
}

export function DiffTable({ entries, sides, preview_chars, testId }: DiffTableProps) {
  return (
    <table className="table diff-table" data-testid={testId}>
      <colgroup>
        <col className="col-path" />
        <col />
        <col />
      </colgroup>
      <thead>
        <tr>
          <th>Path</th>
          <th>{sides[0]}</th>
          <th>{sides[1]}</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((d) => (
          <tr key={d.path} className={`diff-${d.kind}`}>
            <td className="mono diff-path">{d.path}</td>
            <td className="mono diff-before" title={preview(d.before, 2000)}>
              {d.kind === 'added' ? '' : preview(d.before, preview_chars)}
            </td>
            <td className="mono diff-after" title={preview(d.after, 2000)}>
              {d.kind === 'removed' ? '' : preview(d.after, preview_chars)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
