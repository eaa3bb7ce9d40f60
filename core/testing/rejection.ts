// The error a promise rejects with, when it is of the expected class: tests then assert on
// its fields. Anything else fails the test: another error is rethrown as it is, and a
// promise that resolves is an error of its own.

export async function rejectionOf<E extends Error>(p: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  try {
    await p;
  } catch (err) {
    if (err instanceof type) return err;
    throw err;
  }
  throw new Error(`expected a ${type.name}`);
}
