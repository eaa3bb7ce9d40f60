// The console shell: header (live status), BACKBEAT strip, view rail, the active view
// and a status line. Creates the time-travel cursor store (state/cursor.ts) so every view
// — chart, state document, decisions — shows the same moment, and maps the keyboard
// shortcuts onto it.

import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { BackbeatStrip } from './components/BackbeatStrip';
import { Header } from './components/Header';
import { HelpOverlay } from './components/HelpOverlay';
import { useConsole } from './state/context';
import { CursorProvider, CursorStore } from './state/cursor';
import { isDemoHealth, VIEWS, type ViewId } from './nav';
import { toggleTheme } from './theme';
import { DecisionsView } from './views/DecisionsView';
import { RejectionsView } from './views/RejectionsView';
import { StatechartView } from './views/StatechartView';
import { TimelineView } from './views/TimelineView';
import { QuorumView } from './views/QuorumView';
import { ActionsView } from './views/ActionsView';
import { SandboxView } from './views/SandboxView';
import { MetricsView } from './views/MetricsView';
import { HealthView } from './views/HealthView';
import { MigrationView } from './views/MigrationView';
import { SimulatorsView } from './views/SimulatorsView';

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  const tag = el.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable;
}

function viewFromHash(): ViewId {
  const h = window.location.hash.replace(/^#\/?/, '');
  return VIEWS.find((v) => v.id === h)?.id ?? 'statechart';
}

export function App() {
  const { live } = useConsole();
  // A boolean snapshot: the shell re-renders when demo mode flips, not on every live update.
  const demo = useSyncExternalStore(live.subscribe, () => isDemoHealth(live.getSnapshot().health));
  const [view, setViewState] = useState<ViewId>(viewFromHash);
  const [help, setHelp] = useState(false);
  const pendingG = useRef<number>(0);
  const cursor = useMemo(() => new CursorStore(live), [live]);

  useEffect(() => {
    cursor.start();
    return () => cursor.stop();
  }, [cursor]);

  const setView = useCallback((v: ViewId) => {
    setViewState(v);
    if (window.location.hash !== `#/${v}`) window.history.replaceState(null, '', `#/${v}`);
  }, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setHelp(false);
        if (isTyping(e.target)) (e.target as HTMLElement).blur();
        return;
      }
      if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      const now = Date.now();
      if (now - pendingG.current < 1200) {
        pendingG.current = 0;
        const v = VIEWS.find((x) => x.key === e.key);
        if (v) {
          setView(v.id);
          e.preventDefault();
          return;
        }
      }
      const n = Number(e.key);
      if (Number.isInteger(n) && n >= 1 && n <= VIEWS.length) {
        setView((VIEWS[n - 1] as (typeof VIEWS)[number]).id);
        e.preventDefault();
        return;
      }
      switch (e.key) {
        case 'g':
          pendingG.current = now;
          break;
        case '?':
          setHelp((h) => !h);
          break;
        case 'T':
          toggleTheme();
          break;
        case 'l':
        case 'End':
          cursor.set(null);
          break;
        case 'Home':
          cursor.set(0);
          break;
        case 'ArrowLeft':
        case 'k':
          cursor.step(e.shiftKey ? -10 : -1, { continuous: e.repeat });
          break;
        case 'ArrowRight':
        case 'j':
          cursor.step(e.shiftKey ? 10 : 1, { continuous: e.repeat });
          break;
        case ' ':
          cursor.setPlaying(!cursor.getSnapshot().playing);
          break;
        default:
          return;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [cursor, setView]);

  useEffect(() => {
    const onHash = () => setViewState(viewFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  return (
    <CursorProvider value={cursor}>
      <div className="app">
        <Header onHelp={() => setHelp(true)} />
        <BackbeatStrip />
        <nav className="rail" aria-label="Views">
          {VIEWS.filter((v) => !v.demo_only || demo).map((v, i) => (
            <button
              key={v.id}
              type="button"
              className={`rail-item${view === v.id ? ' is-current' : ''}`}
              aria-current={view === v.id ? 'page' : undefined}
              onClick={() => setView(v.id)}
              title={`${v.hint} (${i + 1} or g ${v.key})`}
            >
              <span className="rail-label">{v.label}</span>
              <kbd>{i + 1}</kbd>
            </button>
          ))}
          <div className="rail-spacer" />
          <div className="rail-foot">
            <button type="button" className="link-button" onClick={() => setHelp(true)}>
              Keyboard <kbd>?</kbd>
            </button>
          </div>
        </nav>
        <main className="main" id="main">
          {view === 'statechart' && <StatechartView />}
          {view === 'timeline' && <TimelineView />}
          {view === 'rejections' && <RejectionsView />}
          {view === 'decisions' && (
            <DecisionsView
              onOpenTimeline={(i) => {
                cursor.set(i);
                setView('timeline');
              }}
            />
          )}
          {view === 'quorum' && <QuorumView />}
          {view === 'actions' && <ActionsView />}
          {view === 'sandbox' && <SandboxView />}
          {view === 'metrics' && <MetricsView />}
          {view === 'health' && <HealthView />}
          {view === 'migration' && <MigrationView />}
          {view === 'simulators' && <SimulatorsView />}
        </main>
        {help && <HelpOverlay onClose={() => setHelp(false)} />}
      </div>
    </CursorProvider>
  );
}
