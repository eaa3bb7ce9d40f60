import { beforeAll, expect, it } from 'vitest';

beforeAll(() => {
  throw new Error('no browser here');
});
it('never runs', () => expect(1).toBe(1));
