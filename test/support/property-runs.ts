// How many cases each fast-check property runs: a per-test default sized for `npm test`, scaled
// by DIRECTOR_PROPERTY_SCALE for a long local run (docs/fuzzing.md), with a seed that is printed
// on failure and can be replayed through DIRECTOR_PROPERTY_SEED.
import fc from 'fast-check';

function envNumber(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n)) throw new Error(`${name}=${text} is not an integer`);
  return n;
}

/** fast-check parameters for a property that runs `base` cases in the normal suite. */
export function runs(base: number): fc.Parameters<unknown> {
  const scale = envNumber('DIRECTOR_PROPERTY_SCALE') ?? 1;
  const seed = envNumber('DIRECTOR_PROPERTY_SEED');
  return { numRuns: Math.max(1, base * scale), ...(seed === undefined ? {} : { seed }) };
}
