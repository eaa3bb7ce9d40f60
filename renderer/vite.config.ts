// Vite build of the operator console (browser mode and, later, the Electron window).
//
// Output: dist/console/ with hashed assets under assets/. The output must run under the
// strict CSP the host sends (script-src 'self'): no inline scripts, no eval. Vite emits
// the entry as an external <script type="module" src>; the modulepreload polyfill is off
// (every browser we ship to supports modulepreload) so nothing gets inlined, and assets
// are never inlined as data: URLs for scripts (assetsInlineLimit applies to images only,
// which img-src 'self' data: allows).

import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const repo = fileURLToPath(new URL('..', import.meta.url));
/** The orchestrator the dev server proxies API calls to (`swoosh serve`). */
const apiTarget = process.env.SWOOSH_API ?? 'http://127.0.0.1:7420';
const API_PATHS = ['/state', '/wal', '/decisions', '/rejections', '/events', '/health', '/metrics', '/openapi.json', '/transition'];

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    fs: { allow: [repo] },
    proxy: Object.fromEntries(API_PATHS.map((p) => [p, { target: apiTarget, changeOrigin: false }])),
  },
});
