// The live header: what an operator must be able to read from across the desk. Always
// HEAD (not the time-travel cursor), with a clear badge while the views show the past.

import { useCursor } from '../state/cursor';
import { shortHash, shortHlc, formatInt, stateLabel } from '../lib/format';
import { readCluster, writesGoTo, type ClusterView } from '../lib/cluster';
import { useLive } from '../state/context';
import { toggleTheme } from '../theme';
import { Icon } from './Icon';
import { ActionsBadge } from './ActionsBadge';

type Tone = 'ok' | 'warn' | 'danger' | 'info' | 'neutral' | 'accent';

/** `shrinkable` cells give up width first (hash, HLC): the state words must stay whole. */
function Stat({
  label,
  value,
  title,
  tone = 'neutral',
  mono = false,
  testId,
  shrinkable = false,
  wideOnly = false,
  chip,
}: {
  label: string;
  value: string;
  title?: string;
  tone?: Tone;
  mono?: boolean;
  testId?: string;
  shrinkable?: boolean;
  /** Dropped when the window is narrow (styles.css), so the cells that say what to do stay whole. */
  wideOnly?: boolean;
  /** A second fact beside the value, in its own tone (e.g. "project quarantined"). */
  chip?: { text: string; tone: Tone; testId: string } | null;
}) {
  return (
    <div
      className={`stat tone-${tone}${shrinkable ? ' is-shrinkable' : ''}${wideOnly ? ' is-wide-only' : ''}`}
      title={title}
      data-testid={testId}
    >
      <div className="stat-label">{label}</div>
      <div className={`stat-value${mono ? ' mono' : ''}`}>
        <span className="stat-main">{value}</span>
        {chip && (
          <span className={`stat-chip tone-${chip.tone}`} data-testid={chip.testId}>
            {chip.text}
          </span>
        )}
      </div>
    </div>
  );
}

export function Header({ onHelp }: { onHelp: () => void }) {
  const cursor = useCursor();
  const live = useLive();
  const s = live.head?.state ?? null;
  const healthStatus = live.health?.status ?? '…';
  const healthTone: Tone =
    healthStatus === 'ok' ? 'ok' : healthStatus === 'degraded' ? 'warn' : healthStatus === '…' ? 'neutral' : 'danger';
  const mode = s ? (s.control.terminated ? 'TERMINATED' : (s.control.mode ?? 'RUNNING')) : '…';
  const modeTone: Tone = mode === 'RUNNING' ? 'ok' : mode === 'PAUSED' ? 'warn' : mode === '…' ? 'neutral' : 'danger';
  const quarantined = s?.policy.quarantined ?? false;
  const linkTone: Tone = live.link === 'open' ? 'ok' : live.link === 'connecting' ? 'warn' : 'danger';
  const cluster = readCluster(live.health);
  const flow = s ? flowSummary(s) : '…';

  return (
    <header className="header">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true" />
        <div className="brand-text">
          <div className="brand-name">SWOOSH</div>
          <div className="brand-project" title="project (genesis)">
            {s?.meta.project ?? '—'}
          </div>
        </div>
      </div>
      <div className="stats">
        <Stat label="HEAD" value={live.head ? `#${formatInt(live.head.index)}` : '…'} testId="head-index" tone="accent" />
        <Stat label="State hash" value={shortHash(live.head?.hash)} title={live.head?.hash} mono shrinkable wideOnly />
        <Stat
          label="HLC (UTC)"
          value={hlcTimeOfDay(live.head?.hlc)}
          title={live.head?.hlc ?? 'no proposal applied yet'}
          mono
          shrinkable
          wideOnly
        />
        <Stat label="Flow" value={flow} title={`active FLOW configuration: ${flow}`} shrinkable />
        <Stat label="Control" value={mode} tone={modeTone} testId="control-mode" title={s?.control.last_reason ?? undefined} />
        <Stat
          label="Policy"
          value={quarantined ? 'QUARANTINED' : 'CLEAR'}
          tone={quarantined ? 'danger' : 'ok'}
          testId="policy"
          title={quarantined ? s?.policy.rationale.join('\n') : `policy v${s?.policy.version ?? '?'}`}
        />
        <Stat
          label="Licence"
          value={s ? licenceText(s.boot.phase) : '…'}
          tone={s && (s.boot.phase === 'GRACE' || s.boot.phase === 'EXPIRED') ? 'warn' : 'neutral'}
        />
        {cluster && (
          <Stat
            label="Node"
            value={cluster.node_id ? `${cluster.node_id} · ${cluster.role_label}` : cluster.role_label}
            tone={cluster.role === 'leader' || cluster.role === 'writer' ? 'accent' : cluster.role === 'follower' ? 'info' : 'warn'}
            testId="node-role"
            title={nodeTitle(cluster)}
          />
        )}
        <Stat
          label="Health"
          value={healthStatus === '…' ? '…' : `service ${healthStatus}`}
          tone={healthTone}
          testId="health"
          chip={quarantined ? { text: 'project quarantined', tone: 'danger', testId: 'health-project' } : null}
          title={
            live.health
              ? `service ${healthStatus}: the host process, as GET /health reports it (queue ${live.health.queue ?? 0}, wal lag ${live.health.walLag}, last snapshot ${live.health.lastSnapshotHLC ?? 'none'}).${quarantined ? '\nproject quarantined: the orchestrated project is held by policy until an operator releases it (Actions); a state of the project, not of the service.' : ''}`
              : undefined
          }
        />
        <Stat
          label="Events"
          value={live.link === 'open' ? 'live' : live.link}
          tone={linkTone}
          title={`${live.accepted} accepted, ${live.rejected} rejected since this page opened`}
        />
      </div>
      <div className="header-actions">
        <ActionsBadge />
        {cursor.index !== null && (
          <button type="button" className="travel-badge" onClick={() => cursor.set(null)} title="Back to live (L)">
            <span>VIEWING #{formatInt(cursor.index)}</span>
            <span className="travel-sub">of {formatInt(cursor.headIndex)} · L for live</span>
          </button>
        )}
        {live.error && (
          <span className="header-error" title={live.error}>
            host: {live.error}
          </span>
        )}
        <button
          type="button"
          className="icon-button"
          onClick={() => toggleTheme()}
          title="Toggle dark/light theme (Shift+T)"
          aria-label="Toggle theme"
        >
          <Icon name="theme" size={16} />
        </button>
        <button type="button" className="icon-button" onClick={onHelp} title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts">
          <Icon name="help" size={16} />
        </button>
      </div>
    </header>
  );
}

function nodeTitle(c: ClusterView): string {
  if (c.mode === 'single-writer') return 'single-writer host: this process is the only writer (no cluster)';
  const to = writesGoTo(c);
  const leader = c.leader ? `leader ${c.leader.node_id}${c.leader.url ? ` (${c.leader.url})` : ''}` : 'no leader right now';
  return `cluster node ${c.node_id ?? '?'} (${c.role}); ${leader}${to ? `; writes go to ${to}` : ''}; details in Health`;
}

/** The header has room for the time of day only; the full HLC is in the tooltip. */
function hlcTimeOfDay(hlc: string | null | undefined): string {
  const full = shortHlc(hlc);
  const space = full.indexOf(' ');
  return space > 0 ? full.slice(space + 1) : full;
}

function licenceText(phase: string): string {
  if (phase === 'UNINITIALIZED' || phase === 'LICENSE_CHECK') return 'UNLICENSED';
  return phase;
}

function flowSummary(s: NonNullable<ReturnType<typeof useLive>['head']>['state']): string {
  if (s.control.terminated) return 'TERMINATED';
  if (s.boot.phase === 'UNINITIALIZED' || s.boot.phase === 'LICENSE_CHECK') return `BOOT · ${stateLabel(s.boot.phase)}`;
  if (s.control.recovery) return 'RECOVERY';
  if (s.execution.phase !== null) return `EXECUTION · ${s.execution.phase}`;
  const ready = [s.ingestion.phase, s.council.phase, s.environment.phase].filter((p) => p === 'READY').length;
  return `LIFECYCLE · ${ready}/3 ready`;
}
