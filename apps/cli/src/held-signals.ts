/** Stop signals kept until the runner's own handlers take over (see `holdSignals`). */
export interface HeldSignals {
  /** Stops holding and hands over what came meanwhile (once; later calls get nothing). */
  release(): NodeJS.Signals[];
}

/**
 * From the moment `start` is parsed until the runner's signal ladder is in place, SIGINT and
 * SIGTERM are kept instead of killing the process by their default action: a supervisor (or the
 * desktop app) that stops a runner still starting gets the same clean stop as a running one.
 */
export function holdSignals(): HeldSignals {
  const held: NodeJS.Signals[] = [];
  const hold = (signal: NodeJS.Signals) => void held.push(signal);
  process.on('SIGINT', hold);
  process.on('SIGTERM', hold);
  return {
    release: () => {
      process.off('SIGINT', hold);
      process.off('SIGTERM', hold);
      return held.splice(0);
    },
  };
}
