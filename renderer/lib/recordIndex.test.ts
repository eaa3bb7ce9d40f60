import { describe, expect, it } from 'vitest';
import { parseRecordIndex } from './recordIndex';

describe('parseRecordIndex (the Decisions "Record #" box)', () => {
  it('takes 44 and #44 within [1, HEAD]', () => {
    expect(parseRecordIndex('44', 50)).toEqual({ ok: true, index: 44 });
    expect(parseRecordIndex(' #1 ', 50)).toEqual({ ok: true, index: 1 });
    expect(parseRecordIndex('50', 50)).toEqual({ ok: true, index: 50 });
  });

  it('says why for what it refuses: past HEAD, not a number, zero, empty', () => {
    expect(parseRecordIndex('99999999', 50)).toEqual({ ok: false, reason: 'HEAD is #50' });
    expect(parseRecordIndex('abc', 50)).toEqual({ ok: false, reason: '"abc" is not a record number (1…50), e.g. #50' });
    expect(parseRecordIndex('0', 50)).toEqual({ ok: false, reason: 'records start at #1 (#0 is the genesis); HEAD is #50' });
    expect(parseRecordIndex('-3', 50).ok).toBe(false);
    expect(parseRecordIndex('4.5', 50).ok).toBe(false);
    expect(parseRecordIndex('', 50)).toEqual({ ok: false, reason: 'type a record number, e.g. 1' });
    expect(parseRecordIndex('3', 0)).toEqual({ ok: false, reason: 'no record has been accepted yet' });
  });
});

describe('nameSigners (Rejections detail)', () => {
  it('replaces raw signer keys in free text with the operator id, leaving unknown keys short', async () => {
    const { nameSigners } = await import('./format');
    const state = { boot: { identities: [{ id: 'op-1', signer: 'hmmm:ed25519:AAAAAAAAAAAAAAAA' }] } } as unknown as Parameters<
      typeof nameSigners
    >[1];
    expect(nameSigners('hmmm:ed25519:AAAAAAAAAAAAAAAA already approved beat 7', state)).toBe('op-1 already approved beat 7');
    expect(nameSigners('by hmmm:ed25519:BBBBBBBBBBBBBBBB', state)).toBe('by BBBBBB…');
  });
});
