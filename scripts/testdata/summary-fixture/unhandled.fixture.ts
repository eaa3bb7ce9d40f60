import { expect, it } from 'vitest';

it('passes but leaves an unhandled rejection behind', async () => {
  void Promise.reject(new Error('left behind'));
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(1).toBe(1);
});
