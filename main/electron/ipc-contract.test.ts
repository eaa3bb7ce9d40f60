import { describe, expect, it } from 'vitest';
import { callOfChannel, specOf } from '../../protocol/methods';
import { REQUEST_CHANNELS } from './channels';
import { admit, checkSender, validatePayload, type SenderInfo, type TrustedWindow } from './ipc-contract';

const trusted: TrustedWindow = { webContentsId: 7, origin: 'swoosh://console' };
const console_: SenderInfo = { webContentsId: 7, isMainFrame: true, frameUrl: 'swoosh://console/index.html' };

describe('IPC contract: what main admits', () => {
  it('admits a well-formed request from the console frame', () => {
    const a = admit('console:getWal', { from: 0, limit: 50 }, console_, trusted);
    expect(a).toEqual({ ok: true, channel: 'console:getWal', payload: { from: 0, limit: 50 } });
  });

  it('rejects an unknown channel, also one with the console: prefix', () => {
    for (const channel of ['console:exec', 'shell:openExternal', '', 42, null]) {
      const a = admit(channel, {}, console_, trusted);
      expect(a.ok).toBe(false);
      if (!a.ok) expect(a.error).toMatchObject({ code: 'unknown_channel', status: 404 });
    }
  });

  it('rejects foreign frames: another window, a subframe, another origin, file: and about:blank', () => {
    const cases: SenderInfo[] = [
      { ...console_, webContentsId: 8 },
      { ...console_, isMainFrame: false },
      { ...console_, frameUrl: 'https://evil.example/index.html' },
      { ...console_, frameUrl: 'swoosh://other/index.html' },
      { ...console_, frameUrl: 'file:///work/main/dist/console/index.html' },
      { ...console_, frameUrl: 'about:blank' },
      { ...console_, frameUrl: '' },
    ];
    for (const sender of cases) {
      const a = admit('console:getState', {}, sender, trusted);
      expect(a.ok, JSON.stringify(sender)).toBe(false);
      if (!a.ok) expect(a.error).toMatchObject({ code: 'foreign_frame', status: 403 });
    }
    expect(checkSender(console_, trusted)).toBeNull();
  });

  it('rejects malformed payloads with a tagged error naming the field', () => {
    const bad: Array<[string, unknown, RegExp]> = [
      ['console:getState', null, /payload must be an object/],
      ['console:getState', [], /payload must be an object/],
      ['console:getState', { extra: 1 }, /unexpected field "extra"/],
      ['console:getStateAt', {}, /n is missing/],
      ['console:getStateAt', { n: -1 }, /n must be an integer/],
      ['console:getStateAt', { n: 1.5 }, /n must be an integer/],
      ['console:getStateAt', { n: '3' }, /n must be an integer/],
      ['console:getWal', { from: 0, limit: 1001 }, /limit must be an integer in 0..1000/],
      ['console:keys.create', { label: '', passphrase: 'x' }, /label must be a string of 1..100/],
      ['console:keys.unlock', { id: 'k-1', passphrase: 'x'.repeat(1025) }, /passphrase must be a string/],
      ['console:keys.sign', { id: 'k-1', unsigned: 'text' }, /unsigned must be a JSON object/],
      ['console:submitProposal', { proposal: { pad: 'x'.repeat(1024 * 1024) } }, /at most 1048576 bytes/],
    ];
    for (const [channel, payload, reason] of bad) {
      const a = admit(channel, payload, console_, trusted);
      expect(a.ok, `${channel} ${JSON.stringify(payload)?.slice(0, 60)}`).toBe(false);
      if (!a.ok) {
        expect(a.error.code).toBe('malformed');
        expect(a.error.status).toBe(400);
        expect(a.error.reason).toMatch(reason);
      }
    }
  });

  it('checks the frame before the payload: a foreign frame learns nothing about schemas', () => {
    const a = admit('console:getStateAt', { n: 'bad' }, { ...console_, webContentsId: 9 }, trusted);
    expect(a.ok === false && a.error.code).toBe('foreign_frame');
  });

  it('has a schema for every channel, and every channel is console:-prefixed', () => {
    for (const channel of REQUEST_CHANNELS) {
      expect(channel.startsWith('console:')).toBe(true);
      expect(() => validatePayload(channel, {})).not.toThrow();
    }
  });

  it("admits each channel's example payload and refuses each field's counterexamples (derived from the method table)", () => {
    let refused = 0;
    for (const channel of REQUEST_CHANNELS) {
      const schema = specOf(callOfChannel(channel)).schema;
      const good = Object.fromEntries(Object.entries(schema).map(([k, f]) => [k, f.example]));
      expect(admit(channel, good, console_, trusted).ok, channel).toBe(true);
      for (const [field, f] of Object.entries(schema)) {
        for (const bad of f.counterexamples()) {
          const a = admit(channel, { ...good, [field]: bad }, console_, trusted);
          expect(a.ok === false && a.error.code, `${channel}.${field} = ${JSON.stringify(bad)?.slice(0, 40)}`).toBe('malformed');
          refused += 1;
        }
      }
    }
    expect(refused).toBeGreaterThan(REQUEST_CHANNELS.length);
  });
});
