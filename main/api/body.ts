// A request body read under a bound, for the host's small JSON routes (knobs, demo
// controls). Past the bound the rest is drained, not kept, so a huge body costs no memory.

import type { IncomingMessage } from 'node:http';

/** The body as UTF-8 text, or null past `bytes_max` or on a socket error. */
export function readBoundedText(req: IncomingMessage, bytes_max: number): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= bytes_max) chunks.push(c);
    });
    req.on('end', () => resolve(size > bytes_max ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(null));
  });
}
