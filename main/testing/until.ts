// Polling for a condition in tests of real processes and servers (no fake clocks): the
// failure names what was awaited, for how long, and whatever `detail` can tell.

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeout_ms: number,
  detail: () => string = () => '',
  poll_ms = 100,
): Promise<void> {
  const deadline = Date.now() + timeout_ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout_ms} ms waiting for ${what} ${detail()}`);
    await sleep(poll_ms);
  }
}
