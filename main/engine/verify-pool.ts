// A small pool of worker threads that verify Ed25519 signatures while proposals queue, so
// that verification overlaps reduction and the fsync instead of adding to them (docs/architecture.md §4:
// verification is pure; reduction stays ordered on one thread). Requests are batched by
// the caller; each worker is referenced only while it has work, so an idle pool never
// keeps a process alive. A worker that fails takes its requests down with it (they
// reject) and the caller verifies those proposals on its own thread instead.

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

export interface VerifyItem {
  /** Raw 32-byte Ed25519 public key, already checked (isValidPublicKey). */
  key: Uint8Array;
  /** The signed text (domain + JCS); verified over its UTF-8 bytes. */
  message: string;
  /** The 64 signature bytes, strictly decoded. */
  signature: Uint8Array;
}

interface Request {
  resolve: (verdicts: Uint8Array) => void;
  reject: (err: Error) => void;
  items: number;
}

interface Slot {
  worker: Worker;
  requests: Map<number, Request>;
  items_in_flight: number;
  alive: boolean;
}

const WORKER_URL = new URL('./verify-worker.mjs', import.meta.url);
/** More threads than cores only adds contention; the reducer keeps one core. */
const WORKERS_MAX = 4;

export function defaultVerifyWorkers(): number {
  return Math.max(1, Math.min(WORKERS_MAX, availableParallelism() - 1));
}

export class VerifyPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  /** Signatures answered by the workers so far (for tests and metrics). */
  verified_items = 0;

  private constructor(size: number) {
    for (let i = 0; i < size; i += 1) this.slots.push(this.spawn());
  }

  /** A pool of `size` workers, or null where worker threads or the worker file are unavailable. */
  static create(size: number): VerifyPool | null {
    if (size < 1) return null;
    try {
      if (WORKER_URL.protocol !== 'file:' || !existsSync(fileURLToPath(WORKER_URL))) return null;
      return new VerifyPool(size);
    } catch {
      return null;
    }
  }

  get alive(): boolean {
    return this.slots.some((s) => s.alive);
  }

  /** Verdicts (1 = verifies) in the order of `items`; rejects if the worker fails. */
  verify(items: VerifyItem[]): Promise<Uint8Array> {
    const slot = this.leastLoaded();
    if (!slot) return Promise.reject(new Error('no verify worker is alive'));
    const id = this.nextId;
    this.nextId += 1;
    return new Promise((resolve, reject) => {
      slot.requests.set(id, { resolve, reject, items: items.length });
      if (slot.items_in_flight === 0) slot.worker.ref();
      slot.items_in_flight += items.length;
      slot.worker.postMessage({ id, items });
    });
  }

  close(): void {
    for (const slot of this.slots) this.fail(slot, new Error('verify pool closed'));
  }

  private leastLoaded(): Slot | null {
    let best: Slot | null = null;
    for (const s of this.slots) if (s.alive && (best === null || s.items_in_flight < best.items_in_flight)) best = s;
    return best;
  }

  private spawn(): Slot {
    // execArgv []: the worker is plain JavaScript, it needs no TypeScript loader.
    const worker = new Worker(WORKER_URL, { execArgv: [] });
    worker.unref();
    const slot: Slot = { worker, requests: new Map(), items_in_flight: 0, alive: true };
    worker.on('message', (m: { id: number; verdicts: Uint8Array }) => this.answer(slot, m));
    worker.on('error', (err) => this.fail(slot, err));
    worker.on('exit', () => this.fail(slot, new Error('verify worker exited')));
    return slot;
  }

  private answer(slot: Slot, m: { id: number; verdicts: Uint8Array }): void {
    const request = slot.requests.get(m.id);
    if (!request) return;
    slot.requests.delete(m.id);
    slot.items_in_flight -= request.items;
    if (slot.items_in_flight === 0) slot.worker.unref();
    this.verified_items += m.verdicts.length;
    request.resolve(m.verdicts);
  }

  private fail(slot: Slot, err: Error): void {
    if (!slot.alive) return;
    slot.alive = false;
    for (const r of slot.requests.values()) r.reject(err);
    slot.requests.clear();
    slot.items_in_flight = 0;
    void slot.worker.terminate().catch(() => undefined);
  }
}
