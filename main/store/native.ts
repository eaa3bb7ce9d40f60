// Opens a better-sqlite3 database, choosing the native binding explicitly.
//
// Node (tests, `swoosh serve`) and Electron need better-sqlite3 built for different ABIs,
// and only one build can sit in node_modules (docs/architecture.md §3). The Electron build is kept
// beside it and selected with better-sqlite3's `nativeBinding` option through
// SWOOSH_SQLITE_BINDING; a binary built for the wrong ABI gives one clear message.

import Database from 'better-sqlite3';

export class NativeBindingError extends Error {
  readonly code = 'native_binding';
}

/** How long to wait for another process's lock: a live writer holds it for good, so fail fast. */
const LOCK_WAIT_MS = 250;

export function openDatabase(path: string, options: { readonly?: boolean } = {}): Database.Database {
  const nativeBinding = process.env.SWOOSH_SQLITE_BINDING || undefined;
  try {
    return new Database(path, {
      readonly: options.readonly ?? false,
      fileMustExist: options.readonly ?? false,
      nativeBinding,
      timeout: LOCK_WAIT_MS,
    });
  } catch (err) {
    const message = (err as Error).message;
    if (
      /NODE_MODULE_VERSION|was compiled against a different Node\.js version|invalid ELF header|Could not locate the bindings file/.test(
        message,
      )
    ) {
      throw new NativeBindingError(
        `better-sqlite3's native binary does not match this runtime (${process.versions.electron ? `Electron ${process.versions.electron}` : `Node ${process.version}`}, ABI ${process.versions.modules}). ` +
          'Run `npm rebuild better-sqlite3` for Node, or `npm run rebuild:electron` for the desktop app.',
      );
    }
    throw err;
  }
}
