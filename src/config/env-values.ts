import { z } from 'zod';
import type { Env } from './load-topology.js';

/*
 * Building blocks of the environment schemas: every option read from the
 * environment is a key of a zod object schema built from these, so that
 * bounds, defaults and messages work the same for every variable.
 */

/** An unset or empty variable takes the default. */
const blankToUndefined = (value: unknown) => (value === '' ? undefined : value);

/** An integer within bounds, or undefined when unset. */
export function envInteger(min: number, max: number) {
  const error = `expected an integer between ${min} and ${max}`;
  return z.preprocess(blankToUndefined, z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error }).optional());
}

/** A number above 0, or undefined when unset. */
export function envPositiveNumber() {
  const error = 'expected a positive number';
  return z.preprocess(blankToUndefined, z.coerce.number({ error }).positive({ error }).optional());
}

/** Any non-empty text, or undefined when unset. */
export function envText() {
  return z.preprocess(blankToUndefined, z.string().optional());
}

/** One line per bad variable: its name, what was expected, and what it holds. */
export function envProblems(issues: readonly z.core.$ZodIssue[], env: Env): string[] {
  return issues.map((issue) => {
    const name = String(issue.path[0]);
    return `${name}: ${issue.message}, got ${JSON.stringify(env[name])}`;
  });
}
