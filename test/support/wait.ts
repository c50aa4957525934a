// Waiting for a condition instead of for a time: tests poll what they expect and give up only
// after a bound far above what a loaded 2-core machine needs, so the bound limits a failure and
// never decides a pass.

/** Resolves with the ms it took once check() is true; rejects after timeoutMs naming what was awaited. */
export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - started;
}
