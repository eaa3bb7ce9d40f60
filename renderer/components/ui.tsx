// Small shared pieces: panels, key/value lists, hashes, guard marks.

import type { ReactNode } from 'react';
import { shortHash } from '../lib/format';

export function Panel({
  title,
  extra,
  children,
  className = '',
  testId,
}: {
  title?: ReactNode;
  extra?: ReactNode;
  children: ReactNode;
  className?: string;
  testId?: string;
}) {
  return (
    <section className={`panel ${className}`} data-testid={testId}>
      {(title || extra) && (
        <div className="panel-head">
          {title && <h2 className="panel-title">{title}</h2>}
          {extra && <div className="panel-extra">{extra}</div>}
        </div>
      )}
      <div className="panel-body">{children}</div>
    </section>
  );
}

export function Kv({ rows }: { rows: Array<[string, ReactNode]> }) {
  return (
    <dl className="kv">
      {rows.map(([k, v]) => (
        <div className="kv-row" key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

export function HashText({ value }: { value: string | null | undefined }) {
  return (
    <span className="mono hash" title={value ?? undefined}>
      {shortHash(value)}
    </span>
  );
}

export function Mark({ ok, title }: { ok: boolean | null; title?: string }) {
  if (ok === null)
    return (
      <span className="mark mark-unknown" title={title}>
        ·
      </span>
    );
  return (
    <span className={`mark ${ok ? 'mark-ok' : 'mark-bad'}`} title={title} aria-label={ok ? 'ok' : 'failed'}>
      {ok ? '✓' : '✗'}
    </span>
  );
}

export function Chip({
  children,
  tone = 'neutral',
  title,
}: {
  children: ReactNode;
  tone?: 'neutral' | 'ok' | 'warn' | 'danger' | 'accent' | 'info';
  title?: string;
}) {
  return (
    <span className={`chip tone-${tone}`} title={title}>
      {children}
    </span>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}
