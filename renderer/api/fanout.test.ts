import { describe, expect, it } from 'vitest';
import type { ConsoleEvent } from './ConsoleApi';
import { eventFanout } from './fanout';

const open: ConsoleEvent = { type: 'link', status: 'open' };

describe('eventFanout', () => {
  it('starts the upstream with the first subscriber and stops it with the last', () => {
    const log: string[] = [];
    const f = eventFanout(() => {
      log.push('start');
      return () => log.push('stop');
    });
    const a = f.subscribe(() => {});
    const b = f.subscribe(() => {});
    a();
    expect(log).toEqual(['start']);
    b();
    expect(log).toEqual(['start', 'stop']);
    f.subscribe(() => {})();
    expect(log).toEqual(['start', 'stop', 'start', 'stop']);
  });

  it('an upstream that could not start is tried again by the next subscriber', () => {
    let starts = 0;
    const f = eventFanout((emit) => {
      starts += 1;
      emit({ type: 'link', status: 'down' });
      return null;
    });
    const seen: string[] = [];
    f.subscribe((e) => seen.push(e.type === 'link' ? e.status : e.type));
    f.subscribe(() => {});
    expect(starts).toBe(2);
    expect(seen).toEqual(['down', 'down']);
  });

  it('a listener that throws does not keep the event from the others', () => {
    const f = eventFanout(() => () => {});
    const seen: ConsoleEvent[] = [];
    const quiet = console.error;
    console.error = () => {};
    try {
      f.subscribe(() => {
        throw new Error('boom');
      });
      f.subscribe((e) => seen.push(e));
      f.emit(open);
    } finally {
      console.error = quiet;
    }
    expect(seen).toEqual([open]);
  });
});
