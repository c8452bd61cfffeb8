/**
 * A bench's entry: runs `main` under a whole-run watchdog (whatever hangs, the process ends; forked
 * hosts see the IPC close), then `cleanup` (false marks the run failed), and exits 0 or 1.
 */
export async function runBench(
  name: string,
  main: () => Promise<void>,
  options: { watchdogMs: number; cleanup?: () => Promise<unknown> },
): Promise<never> {
  const watchdog = setTimeout(() => {
    console.error(`${name} bench: still running after ${options.watchdogMs / 60_000} min, giving up`);
    process.exit(1);
  }, options.watchdogMs);
  watchdog.unref();
  let code = 0;
  try {
    await main();
  } catch (error) {
    console.error(`${name} bench failed:`, error);
    code = 1;
  }
  if ((await options.cleanup?.()) === false) code = 1;
  process.exit(code);
}
