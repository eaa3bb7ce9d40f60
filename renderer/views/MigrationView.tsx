// Migration from WHOOSH (docs/migration.md): each region's route and its step history from
// the WAL, the bypass and its reason, the shim's shadow comparisons over time, the latest
// divergences (WHOOSH's value beside SWOOSH's), and the signed operator actions that move
// a route one step, bypass to WHOOSH and restore — through the same signing dialog as the
// Actions view. Data in useMigration.ts, logic in lib/migration.ts.

import { useEffect, useMemo, useState } from 'react';
import { Area, AreaChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { MIGRATION_ORDER, type MigrationState } from '../../core/state';
import { ActionDialog } from '../components/ActionDialog';
import { Chip, Empty, Panel } from '../components/ui';
import { useOperatorKeys } from '../components/useOperatorKeys';
import { actionDef, migrationRouteDef, type ActionDef } from '../lib/actions';
import { formatInt, shortHlc, signerName } from '../lib/format';
import { anySwoosh, migrationSteps, routeSteps, showValue, type MigrationStep } from '../lib/migration';
import { useConsole, useLive } from '../state/context';
import { describeError, type MigrationDemoKnobs, type State } from '../api/ConsoleApi';
import { POLL_MS, STEPS_MAX, useMigration, type MigrationData, type ShimLink } from './useMigration';
import './migration.css';

const TOOLTIP = {
  background: 'var(--panel-raised)',
  border: '1px solid var(--border-strong)',
  borderRadius: 6,
  fontSize: 12,
  color: 'var(--text)',
};
const MODE_TONE = { legacy: 'neutral', shadow: 'info', swoosh: 'ok' } as const;
const HISTORY_SHOWN = 30;

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

export function MigrationView() {
  const { api } = useConsole();
  const state = useLive().head?.state ?? null;
  const data = useMigration();
  const keys = useOperatorKeys(api);
  const [open, setOpen] = useState<ActionDef | null>(null);
  if (!state)
    return (
      <div className="view">
        <Empty>Loading HEAD…</Empty>
      </div>
    );
  const m = state.migration;

  return (
    <div className="view view-migration" data-testid="migration-view">
      <div className="view-head">
        <h1>Migration</h1>
        <span className="view-sub">Routes from HEAD · history from the WAL · shim through the host every {POLL_MS / 1000} s</span>
        <span className="view-tools">
          <ShimChip shim={data.shim} />
        </span>
      </div>
      <BypassBar m={m} onOpen={setOpen} />
      <LegacyFaults />
      <div className="mig-routes">
        {MIGRATION_ORDER.map((region) => (
          <RegionCard
            key={region}
            region={region}
            m={m}
            counts={data.shim.kind === 'up' ? data.shim.counts[region] : undefined}
            onOpen={setOpen}
          />
        ))}
      </div>
      <div className="mig-grid">
        <DivergencesPanel data={data} state={state} />
        <ShadowChart data={data} />
        <HistoryPanel data={data} state={state} />
      </div>
      {open && <ActionDialog def={open} keys={keys} onClose={() => setOpen(null)} onDone={() => setOpen(null)} />}
    </div>
  );
}

function ShimChip({ shim }: { shim: ShimLink }) {
  switch (shim.kind) {
    case 'loading':
      return <Chip>shim: asking…</Chip>;
    case 'none':
      return (
        <Chip tone="neutral" title="Start the host with --shim URL or --sim-migration">
          no shim configured
        </Chip>
      );
    case 'error':
      return (
        <Chip tone="danger" title={shim.reason}>
          shim: {shim.reason}
        </Chip>
      );
    case 'up':
      return <Chip tone={shim.health.status === 'ok' ? 'ok' : 'warn'}>shim: {String(shim.health.status ?? 'up')}</Chip>;
  }
}

/** One click + justification: prominent while SWOOSH alone serves some region. */
function BypassBar({ m, onOpen }: { m: MigrationState; onOpen: (d: ActionDef) => void }) {
  if (m.bypass) {
    return (
      <div className="attention tone-danger" data-testid="mig-bypassed">
        <strong>Bypassed: every region is served by WHOOSH.</strong>
        <span className="muted">Reason: {m.bypass_reason ?? '—'}</span>
        <button
          type="button"
          className="tbtn tone-ok"
          data-testid="mig-restore"
          onClick={() => onOpen(actionDef('Migration_Restore') as ActionDef)}
        >
          Restore routes…
        </button>
      </div>
    );
  }
  const hot = anySwoosh(m);
  return (
    <div className={`attention ${hot ? 'tone-danger' : 'tone-accent'} mig-bypass-bar`}>
      <span>
        {hot
          ? 'SWOOSH alone serves a region. If it misbehaves, send every region back to WHOOSH at once:'
          : 'Emergency rollback to WHOOSH (every region "legacy" until restored):'}
      </span>
      <button
        type="button"
        className={`tbtn ${hot ? 'tone-danger' : ''}`}
        data-testid="mig-bypass"
        onClick={() => onOpen(actionDef('Migration_Bypass') as ActionDef)}
      >
        Bypass to WHOOSH…
      </button>
    </div>
  );
}

/** What each WHOOSH fault knob reproduces (the failures that motivated SWOOSH). */
const FAULT_LABELS: Record<string, string> = {
  split_brain_council: 'split-brain council',
  index_swap: 'index swapped mid-flight',
  duplicate_delivery: 'duplicate delivery applied twice',
  restart_reorder: 'restart replays out of order',
};

/**
 * The migration demo's WHOOSH fault knobs, one click each, so a person sees shadow mode
 * catch a failure without a terminal. Absent unless the host runs the migration demo.
 */
function LegacyFaults() {
  const { api } = useConsole();
  const [faults, setFaults] = useState<MigrationDemoKnobs | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api.getMigrationDemoKnobs().then(
      (k) => live && typeof k?.knobs === 'object' && setFaults(k),
      () => undefined, // no migration demo on this host: no strip
    );
    return () => {
      live = false;
    };
  }, [api]);
  if (!faults) return null;
  const flip = async (name: string) => {
    try {
      setFaults(await api.setMigrationDemoKnobs({ [name]: !faults.knobs[name] }));
      setError(null);
    } catch (err) {
      setError(`${name}: ${describeError(err)}`);
    }
  };
  return (
    <div className="attention tone-accent mig-faults" data-testid="mig-faults">
      <span title={`the WHOOSH simulator at ${faults.whoosh}`}>Demo · make WHOOSH misbehave, then watch the divergences:</span>
      {Object.entries(faults.knobs).map(([name, on]) => (
        <button
          key={name}
          type="button"
          role="switch"
          aria-checked={on}
          className={`tbtn mig-fault${on ? ' tone-warn is-on' : ''}`}
          data-testid={`mig-fault-${name}`}
          onClick={() => void flip(name)}
        >
          {FAULT_LABELS[name] ?? name}: {on ? 'on' : 'off'}
        </button>
      ))}
      {error && <span className="mig-fault-error">{error}</span>}
    </div>
  );
}

function RegionCard({
  region,
  m,
  counts,
  onOpen,
}: {
  region: (typeof MIGRATION_ORDER)[number];
  m: MigrationState;
  counts?: { compared: number; diverged: number };
  onOpen: (d: ActionDef) => void;
}) {
  const mode = m.routes[region];
  const steps = routeSteps(m).filter((s) => s.region === region);
  return (
    <Panel title={region} className="mig-region" testId={`mig-region-${region}`}>
      <div className="mig-mode">
        <Chip tone={MODE_TONE[mode]}>{mode}</Chip>
        {m.bypass && <Chip tone="danger">served: legacy (bypass)</Chip>}
      </div>
      <div className="muted mig-counts" data-testid={`mig-counts-${region}`}>
        {counts ? `${formatInt(counts.compared)} compared · ${formatInt(counts.diverged)} diverged` : 'no shadow counters'}
      </div>
      <div className="mig-steps">
        {steps.map((s) => (
          <button
            key={s.mode}
            type="button"
            className={`tbtn ${s.direction === 'forward' && s.blocked === null ? 'tone-accent' : ''}`}
            disabled={s.blocked !== null}
            title={s.blocked ?? `Migration_Route ${region} → ${s.mode}`}
            data-testid={`mig-route-${region}-${s.mode}`}
            onClick={() => onOpen(migrationRouteDef(region, s.mode))}
          >
            {s.direction === 'forward' ? '→' : '←'} {s.mode}
          </button>
        ))}
      </div>
    </Panel>
  );
}

function DivergencesPanel({ data, state }: { data: MigrationData; state: State }) {
  const nameOf = (signer: string) => state.boot.identities.find((i) => i.signer === signer)?.id ?? null;
  const { shim, divergences } = data;
  return (
    <Panel
      title="Latest divergences"
      extra={<span className="count">{divergences.length}</span>}
      className="mig-divergences"
      testId="mig-divergences"
    >
      {shim.kind === 'none' ? (
        <Empty>
          No shim configured: start the host with <code>--shim URL</code> (or <code>--sim-migration</code> with <code>--sim</code>) to see
          shadow comparisons. Routes and history come from the WAL.
        </Empty>
      ) : divergences.length === 0 ? (
        <Empty>{shim.kind === 'up' ? 'No divergence recorded: WHOOSH and SWOOSH agree so far.' : 'Waiting for the shim…'}</Empty>
      ) : (
        <div className="mig-scroll">
          <table className="table mig-table">
            <thead>
              <tr>
                <th>#</th>
                <th>region</th>
                <th>route</th>
                <th>WHOOSH (legacy)</th>
                <th>SWOOSH</th>
                <th>detail</th>
              </tr>
            </thead>
            <tbody>
              {divergences.map((d) => (
                <tr key={d.seq} data-testid="mig-divergence">
                  <td className="mono">{d.seq}</td>
                  <td>{d.region}</td>
                  <td className="mono">{d.route}</td>
                  <td className="mono mig-value mig-legacy" title={showValue(d.legacy)}>
                    {showValue(d.legacy, 400, nameOf)}
                  </td>
                  <td className="mono mig-value mig-swoosh" title={showValue(d.swoosh)}>
                    {showValue(d.swoosh, 400, nameOf)}
                  </td>
                  <td className="muted">
                    {d.detail} <span className="faint">{clock(d.at_ms)}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}

function ShadowChart({ data }: { data: MigrationData }) {
  const { points } = data;
  return (
    <Panel
      title="Shadow comparisons"
      extra={<span className="muted">compared/s · diverged/s · UTC</span>}
      className="mig-chart"
      testId="mig-chart"
    >
      {points.length < 1 ? (
        <Empty>Collecting: rates need two scrapes of the shim.</Empty>
      ) : (
        <ResponsiveContainer width="100%" height="100%">
          <AreaChart data={points} margin={{ top: 8, right: 10, bottom: 0, left: -18 }}>
            <CartesianGrid stroke="var(--grid)" vertical={false} />
            <XAxis dataKey="t_ms" tickFormatter={clock} stroke="var(--text-faint)" fontSize={11} tickLine={false} minTickGap={40} />
            <YAxis stroke="var(--text-faint)" fontSize={11} tickLine={false} axisLine={false} allowDecimals />
            <Tooltip contentStyle={TOOLTIP} labelFormatter={(v) => clock(Number(v))} />
            <Legend iconType="square" iconSize={9} wrapperStyle={{ fontSize: 12, color: 'var(--text-muted)' }} />
            <Area
              type="monotone"
              dataKey="compared_per_s"
              name="compared/s"
              stroke="var(--series-1)"
              fill="var(--accent-weak)"
              strokeWidth={1.6}
              isAnimationActive={false}
            />
            <Area
              type="monotone"
              dataKey="diverged_per_s"
              name="diverged/s"
              stroke="var(--series-3)"
              fill="var(--danger-weak)"
              strokeWidth={1.4}
              isAnimationActive={false}
            />
          </AreaChart>
        </ResponsiveContainer>
      )}
    </Panel>
  );
}

function HistoryPanel({ data, state }: { data: MigrationData; state: State }) {
  const steps: MigrationStep[] = useMemo(
    () => (data.genesis_routes ? migrationSteps(data.records, data.genesis_routes, STEPS_MAX) : []),
    [data.records, data.genesis_routes],
  );
  const shown = steps.slice(-HISTORY_SHOWN).reverse();
  return (
    <Panel title="Step history" extra={<span className="count">{steps.length}</span>} className="mig-history" testId="mig-history">
      {data.history_error && (
        <div className="inline-error" role="alert">
          {data.history_error}
        </div>
      )}
      {shown.length === 0 ? (
        <Empty>No Migration_* record yet: the routes are the genesis routes.</Empty>
      ) : (
        <div className="mig-scroll">
          <table className="table">
            <thead>
              <tr>
                <th>index</th>
                <th>step</th>
                <th>by</th>
                <th>HLC</th>
                <th>why</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((s) => (
                <tr key={s.index} data-testid="mig-step">
                  <td className="mono">{s.index}</td>
                  <td>
                    {s.transition === 'Migration_Route'
                      ? `${s.region} ${s.from ?? '?'} → ${s.to}`
                      : s.transition === 'Migration_Bypass'
                        ? 'bypass'
                        : 'restore'}
                  </td>
                  <td>{signerName(state, s.signer)}</td>
                  <td className="mono">{shortHlc(s.hlc)}</td>
                  <td className="muted">{s.text}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}
