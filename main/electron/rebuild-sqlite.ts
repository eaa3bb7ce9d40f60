// npm run rebuild:electron — builds better-sqlite3 for the installed Electron's ABI into
// native/electron-abi<N>/better_sqlite3.node, leaving node_modules/better-sqlite3 (the
// Node build that tests and `swoosh serve` load) untouched (docs/architecture.md §3: two binaries,
// one picked per runtime with better-sqlite3's nativeBinding option).
//
// It builds in a scratch copy of the package with npm's documented Electron settings
// (npm_config_runtime=electron, target, disturl): prebuild-install fetches a prebuilt
// binary when a network is there, otherwise node-gyp compiles against Electron's
// headers (which need that network once, or a headers cache in ~/.electron-gyp).

import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { electronBindingPath, findElectron, REPO_DIR } from '../commands/start';

function fail(message: string): never {
  process.stderr.write(`rebuild:electron: ${message}\n`);
  process.exit(1);
}

const electron = findElectron();
if (!electron.ok) fail(`${electron.reason}; nothing to build for`);
const require = createRequire(join(REPO_DIR, 'package.json'));
const electronVersion = (JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')) as { version: string }).version;
const abiRun = spawnSync(electron.binary, ['-e', 'process.stdout.write(process.versions.modules)'], {
  env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  encoding: 'utf8',
  timeout: 30_000,
});
const abi = abiRun.stdout?.trim() ?? '';
if (!/^\d+$/.test(abi)) fail(`cannot ask Electron ${electronVersion} for its ABI: ${abiRun.stderr ?? abiRun.error?.message ?? ''}`);

const source = dirname(require.resolve('better-sqlite3/package.json'));
const scratch = mkdtempSync(join(tmpdir(), 'swoosh-sqlite-electron-'));
try {
  cpSync(source, scratch, { recursive: true, filter: (p) => !p.startsWith(join(source, 'build')) });
  const env = {
    ...process.env,
    npm_config_runtime: 'electron',
    npm_config_target: electronVersion,
    npm_config_disturl: 'https://electronjs.org/headers',
    npm_config_build_from_source: process.env.npm_config_build_from_source ?? '',
    PATH: [join(REPO_DIR, 'node_modules', '.bin'), process.env.PATH ?? ''].join(delimiter),
  };
  const built = spawnSync('npm', ['run', 'install', '--foreground-scripts'], { cwd: scratch, env, stdio: 'inherit', timeout: 900_000 });
  const output = join(scratch, 'build', 'Release', 'better_sqlite3.node');
  if (built.status !== 0 || !existsSync(output))
    fail(`building better-sqlite3 for Electron ${electronVersion} (ABI ${abi}) failed; see above`);
  const target = electronBindingPath(abi);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(output, target);
  process.stdout.write(`rebuild:electron: ${target} (Electron ${electronVersion}, ABI ${abi}); node_modules/better-sqlite3 is unchanged\n`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
