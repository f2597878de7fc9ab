/**
 * Everything a benchmark starts is registered here and torn down, newest first,
 * on normal exit, on error and on Ctrl-C / SIGTERM.
 */
type Teardown = () => Promise<void> | void;

const stack: { name: string; fn: Teardown }[] = [];
let running: Promise<void> | undefined;

/** Registers a teardown; returns a function that runs it now (once) and unregisters it. */
export function onCleanup(name: string, fn: Teardown): () => Promise<void> {
  const entry = { name, fn };
  stack.push(entry);
  let done = false;
  return async () => {
    if (done) return;
    done = true;
    const i = stack.indexOf(entry);
    if (i >= 0) stack.splice(i, 1);
    await fn();
  };
}

/** Runs every registered teardown, newest first; each is bounded to 15 s. */
export function cleanupAll(): Promise<void> {
  running ??= (async () => {
    while (stack.length) {
      const { name, fn } = stack.pop()!;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(fn),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('timed out')), 15_000);
          }),
        ]);
      } catch (err) {
        process.stderr.write(`cleanup of ${name} failed: ${(err as Error).message}\n`);
      } finally {
        clearTimeout(timer);
      }
    }
  })();
  return running;
}

/** Installs the signal and error handlers; `main` runs, then everything is cleaned up. */
export async function runWithCleanup(main: () => Promise<void>): Promise<void> {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) return;
    signalled = true;
    process.stderr.write(`\n${signal}: stopping everything this benchmark started...\n`);
    void cleanupAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  process.on('uncaughtException', (err) => {
    process.stderr.write(`uncaught: ${err.stack ?? String(err)}\n`);
    void cleanupAll().finally(() => process.exit(1));
  });
  try {
    await main();
  } catch (err) {
    process.stderr.write(`benchmark failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  } finally {
    await cleanupAll();
  }
}
