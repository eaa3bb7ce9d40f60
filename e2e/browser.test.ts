import { expect, it } from 'vitest';
import { findChromium, SYSTEM_BROWSERS } from './browser';

it("finds SWOOSH_CHROMIUM first, then a system browser, else Playwright's own, else null", () => {
  expect(findChromium({ SWOOSH_CHROMIUM: '/opt/x/chrome' }, () => false)).toBe('/opt/x/chrome');
  expect(findChromium({}, (p) => p === '/usr/bin/google-chrome')).toBe('/usr/bin/google-chrome');
  expect(findChromium({}, (p) => p === SYSTEM_BROWSERS[0])).toBe('/usr/bin/chromium');
  const own = findChromium({}, (p) => p.includes('ms-playwright'));
  expect(own === null || own.includes('ms-playwright')).toBe(true);
  expect(findChromium({}, () => false)).toBeNull();
});
