// The composition root: how the parts of main/ become a running application. Commands
// (main/commands/), the Electron shell, the soak run, the benchmarks and the tests build
// the app through these functions only; nothing here imports a command or the CLI.
//
//   openServer(settings)                    host + HTTP API + logs, metrics, traces
//   attachDemo(running, settings)           simulators + demo bots (swoosh serve --sim, start)
//   openProvidersVault / attachProviders    real CHORUS services from the providers config and vault
//   openDemoHost(settings)                  openServer on the demo genesis + attachDemo
//   attachCluster(running, settings)        a node of a cluster on etcd (docs/cluster.md)
//   attachBackups(running, settings)       scheduled, verified backups inside the writer (backup.ts)
//
// Failures are AppError {code, reason} (errors.ts), or the tagged errors of the parts
// (HostError, StoreError, VaultError…), which callers map to their own messages.

export { AppError, type AppErrorCode } from './errors';
export { ATTACHMENTS_MAX, openServer, type Attachment, type HealthSource, type Running, type ServerSettings } from './server';
export {
  attachDemo,
  defaultDataDir,
  moveAside,
  openDemoHost,
  type DemoAttachment,
  type DemoHost,
  type DemoHostSettings,
  type DemoSettings,
  type SimulatorUrls,
} from './demo';
export { attachProviders, openProvidersVault, providersHealth, type ProvidersAttachment } from './providers';
export {
  electronBindingPath,
  findElectron,
  launchElectron,
  prepareElectronSqlite,
  REPO_DIR,
  type ElectronProbe,
  type PreparedSqlite,
} from './electron-launch';
export { attachCluster, type AttachCluster, type ClusterAttachment, type ClusterSettings } from './cluster';
export { attachBackups, durationMs, pruneBackups, type BackupAttachment, type BackupSettings, type BackupStatus } from './backup';
