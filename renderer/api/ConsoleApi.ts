// The one typed boundary between the console (renderer) and the orchestrator host.
//
// Two implementations, one interface: http.ts (browser mode, `swoosh serve --console`,
// fetch + EventSource against the same origin) and ipc.ts (the Electron window, over the
// preload's `console:` channels). The React code only ever sees ConsoleApi, so the
// Playwright suite exercises the real UI in real Chromium on every machine.
//
// The interface, its wire shapes and its tagged error live in protocol/ (docs/console-protocol.md),
// where main's side of the Electron bridge reads them too; this module re-exports them
// under the names the views have always imported.

export type {
  AcceptedEvent,
  ApiErrorBody,
  ConsoleApi,
  ConsoleEvent,
  DecisionRecord,
  GuardOutcome,
  Hash,
  Health,
  HealthEvent,
  LinkEvent,
  OperatorKeyInfo,
  OperatorKeys,
  Proposal,
  RejectedEvent,
  RejectionRow,
  RejectionsPage,
  State,
  StateAt,
  SubmitOutcome,
  UnsignedProposal,
  WalPage,
  WalRecord,
  DivergencesPage,
  ShadowDivergence,
  ShimHealth,
  ScenarioRun,
  Simulator,
  SimulatorKnob,
  SimulatorScenario,
  SimulatorsView,
  MigrationDemoKnobs,
} from '../../protocol/api';
export { ConsoleApiError, describeError, isConsoleApiError } from '../../protocol/errors';
