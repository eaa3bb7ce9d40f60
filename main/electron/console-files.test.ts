import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { consoleFile } from './console-files';

const root = mkdtempSync(join(tmpdir(), 'swoosh-console-files-'));
const outside = mkdtempSync(join(tmpdir(), 'swoosh-outside-'));
writeFileSync(join(root, 'index.html'), '<!doctype html>');
mkdirSync(join(root, 'assets'));
writeFileSync(join(root, 'assets', 'app.js'), 'export {}');
writeFileSync(join(outside, 'secret.txt'), 'no');
symlinkSync(join(outside, 'secret.txt'), join(root, 'assets', 'link.js'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const O = 'swoosh://console';

describe('swoosh://console files', () => {
  it('serves the console files with their types, and index.html for app routes', () => {
    expect(consoleFile(root, `${O}/assets/app.js`, O)).toMatchObject({ ok: true, contentType: 'text/javascript; charset=utf-8' });
    const route = consoleFile(root, `${O}/timeline`, O);
    expect(route.ok && route.path.endsWith('index.html')).toBe(true);
  });

  it('refuses other hosts, traversal, dot-files, symlinks out of the root and missing files', () => {
    expect(consoleFile(root, 'swoosh://other/index.html', O)).toMatchObject({ ok: false, status: 403 });
    expect(consoleFile(root, `${O}/assets%2F..%2F..%2F..%2Fetc%2Fpasswd`, O)).toMatchObject({ ok: false, status: 404 });
    // The URL parser folds %2e%2e segments itself: what is left is a path inside the root.
    const folded = consoleFile(root, `${O}/%2e%2e/%2e%2e/etc/passwd`, O);
    expect(folded.ok && folded.path).toBe(join(root, 'index.html'));
    expect(consoleFile(root, `${O}/.env`, O)).toMatchObject({ ok: false, status: 404 });
    expect(consoleFile(root, `${O}/assets/link.js`, O)).toMatchObject({ ok: false, status: 404 });
    expect(consoleFile(root, `${O}/assets/missing.js`, O)).toMatchObject({ ok: false, status: 404 });
    expect(consoleFile(root, `${O}/a%00b`, O)).toMatchObject({ ok: false, status: 404 });
  });
});
