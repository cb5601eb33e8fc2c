/**
 * The reliability suites run at two sizes from the same code: bounded inside `npm test` (seconds),
 * and full under `npm run reliability` (RELIABILITY_SCALE=full, minutes).
 */
export type Scale = 'bounded' | 'full';

export const SCALE: Scale = process.env.RELIABILITY_SCALE === 'full' ? 'full' : 'bounded';

export function sized<T>(sizes: { readonly bounded: T; readonly full: T }): T {
  return sizes[SCALE];
}

/** Set RELIABILITY_SEED to replay a run that failed; fast-check prints the seed it used. */
export function fastCheckSeed(): { seed: number } | Record<string, never> {
  const seed = process.env.RELIABILITY_SEED;
  return seed === undefined || seed === '' ? {} : { seed: Number(seed) };
}
