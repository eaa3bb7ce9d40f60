import { describe, expect, it } from 'vitest';
import { scryptParamsSane } from './keyformat';

describe('scryptParamsSane', () => {
  it('accepts what swoosh keygen writes and up to twice its work', () => {
    expect(scryptParamsSane({ N: 1 << 15, r: 8, p: 1 })).toBe(true);
    expect(scryptParamsSane({ N: 1 << 16, r: 8, p: 1 })).toBe(true);
    expect(scryptParamsSane({ N: 1 << 14, r: 8, p: 2 })).toBe(true);
  });

  it('refuses parameters that would stall the host or the page (a crafted key file)', () => {
    expect(scryptParamsSane({ N: 1 << 16, r: 16, p: 4 })).toBe(false);
    expect(scryptParamsSane({ N: 1 << 15, r: 8, p: 4 })).toBe(false);
    expect(scryptParamsSane({ N: 1 << 17, r: 1, p: 1 })).toBe(false);
  });

  it('refuses malformed parameters', () => {
    expect(scryptParamsSane({ N: 3000, r: 8, p: 1 })).toBe(false);
    expect(scryptParamsSane({ N: 1 << 15, r: 0, p: 1 })).toBe(false);
    expect(scryptParamsSane({ N: 1 << 15, r: 8.5, p: 1 })).toBe(false);
  });
});
