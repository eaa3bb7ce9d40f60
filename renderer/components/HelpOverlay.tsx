import { useEffect, useRef } from 'react';
import { VIEWS } from '../nav';

const KEYS: Array<[string, string]> = [
  ...VIEWS.map((v, i): [string, string] => [`${i + 1}  ·  g ${v.key}`, v.label]),
  ['← / →  ·  k / j', 'Step the cursor one record'],
  ['Shift + ← / →', 'Step ten records'],
  ['Space', 'Play / pause the timeline'],
  ['Home', 'Genesis (index 0)'],
  ['L  ·  End', 'Back to live HEAD'],
  ['/', 'Jump to an index (Timeline)'],
  ['f', 'Filter the WAL by regex (Timeline)'],
  ['e', 'Export a slice as a repro file (Timeline)'],
  ['↑ / ↓  ·  Shift + ↑ / ↓', 'Select / move a step (What-if)'],
  ['x  ·  e  ·  a  ·  Delete', 'Skip, edit, add, remove an added step (What-if)'],
  ['Shift + T', 'Dark / light theme'],
  ['?', 'This help'],
  ['Esc', 'Close, or leave a text field'],
];

export function HelpOverlay({ onClose }: { onClose: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div className="overlay" role="presentation" onClick={onClose}>
      <div
        className="dialog help"
        role="dialog"
        aria-modal="true"
        aria-label="Keyboard shortcuts"
        tabIndex={-1}
        ref={ref}
        onClick={(e) => e.stopPropagation()}
      >
        <div className="dialog-head">
          <h2>Keyboard</h2>
          <button type="button" className="icon-button" onClick={onClose} aria-label="Close">
            ×
          </button>
        </div>
        <table className="keys">
          <tbody>
            {KEYS.map(([k, what]) => (
              <tr key={k}>
                <td>
                  <kbd>{k}</kbd>
                </td>
                <td>{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
