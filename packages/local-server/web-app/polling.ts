import { useCallback, useEffect, useRef, useState, type DependencyList } from 'react';

/**
 * Loads now and every `ms` while the page is open; keeps the last good answer on a failure.
 * `refresh()` loads again at once (after an action changed what it shows).
 */
export function usePolling<T>(load: () => Promise<T>, ms: number, deps: DependencyList) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [round, setRound] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let alive = true;
    let timer: ReturnType<typeof setTimeout>;
    const tick = async () => {
      try {
        const value = await loadRef.current();
        if (alive) {
          setData(value);
          setError(null);
        }
      } catch (e) {
        if (alive) setError(e instanceof Error ? e.message : String(e));
      }
      if (alive) timer = setTimeout(tick, ms);
    };
    void tick();
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [...deps, round]);
  const refresh = useCallback(() => setRound((r) => r + 1), []);
  return { data, error, refresh };
}
