// Bundles the Electron main process and preload with esbuild (npm run build:electron).
//
//   dist/electron/main.mjs     ESM, npm packages left as imports (node_modules / app.asar)
//   dist/electron/preload.cjs  CommonJS: a sandboxed preload cannot be an ES module and
//                              may require only 'electron'
//
// Host modules locate files with `new URL('../x', import.meta.url)`. In one bundle every
// module would share the bundle's URL, so each module's import.meta.url is rewritten to
// its own source file, expressed relative to the bundle: the same layout holds in the
// repository and inside the packaged app (electron-builder.yml ships those folders).

import { build, type Plugin } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const OUT_DIR = join(REPO_DIR, 'dist', 'electron');

const ownImportMetaUrl: Plugin = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return { contents: source, loader: 'ts' };
      const rel = relative(OUT_DIR, args.path).split('\\').join('/');
      const own = `new URL(${JSON.stringify(rel)}, import.meta.url).href`;
      return { contents: source.replaceAll('import.meta.url', own), loader: 'ts', resolveDir: dirname(args.path) };
    });
  },
};

export async function buildElectron(): Promise<{ main: string; preload: string }> {
  const main = join(OUT_DIR, 'main.mjs');
  const preload = join(OUT_DIR, 'preload.cjs');
  await build({
    entryPoints: [join(REPO_DIR, 'main/electron/main.ts')],
    outfile: main,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
    plugins: [ownImportMetaUrl],
  });
  await build({
    entryPoints: [join(REPO_DIR, 'main/electron/preload.ts')],
    outfile: preload,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['electron'],
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  return { main, preload };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await buildElectron();
  process.stdout.write(`built ${relative(REPO_DIR, out.main)} and ${relative(REPO_DIR, out.preload)}\n`);
}
