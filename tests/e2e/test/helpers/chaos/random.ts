/**
 * A seeded random source (mulberry32): a chaos run's kills, delays and job shapes follow from its
 * seed alone, so a failing run is replayed by passing the seed it printed.
 */
export interface Random {
  readonly seed: number;
  /** In [0, 1). */
  next(): number;
  /** A whole number in [min, max]. */
  int(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    seed,
    next,
    int,
    chance: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(0, items.length - 1)]!;
    },
  };
}

/** A seed from `COORD_CHAOS_SEED` when set (to replay a run), else a fresh one. */
export function chaosSeed(env: NodeJS.ProcessEnv = process.env): number {
  const given = env['COORD_CHAOS_SEED'];
  if (given !== undefined && given !== '') {
    const seed = Number(given);
    if (!Number.isInteger(seed) || seed < 0)
      throw new Error(`COORD_CHAOS_SEED must be a whole number, got ${given}`);
    return seed;
  }
  return Math.floor(Math.random() * 2 ** 31);
}
