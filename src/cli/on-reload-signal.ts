/**
 * Runs `reload` on every SIGHUP, one at a time: a signal that arrives during
 * a reload runs it once more afterwards (the file may have changed again).
 * `reload` must not reject. Returns a function that stops listening.
 */
export function onReloadSignal(reload: () => Promise<unknown>): () => void {
  let running: Promise<void> | null = null;
  let again = false;
  const run = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = reload()
      .then(
        () => {},
        () => {},
      )
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          run();
        }
      });
  };
  process.on('SIGHUP', run);
  return () => {
    process.off('SIGHUP', run);
  };
}
