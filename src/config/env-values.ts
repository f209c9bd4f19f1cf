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

/** A number within bounds (fractions allowed), or undefined when unset. */
export function envNumber(min: number, max: number) {
  const error = `expected a number between ${min} and ${max}`;
  return z.preprocess(blankToUndefined, z.coerce.number({ error }).min(min, { error }).max(max, { error }).optional());
}

/** `auto`, or an integer within bounds; undefined when unset. */
export function envIntegerOrAuto(min: number, max: number) {
  const error = `expected auto or an integer between ${min} and ${max}`;
  return z.preprocess(
    (value) => (typeof value === 'string' ? blankToUndefined(value.trim().toLowerCase()) : value),
    z.union([z.literal('auto'), z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error })], { error }).optional(),
  );
}

/** Any non-empty text, or undefined when unset. */
export function envText() {
  return z.preprocess(blankToUndefined, z.string().optional());
}

const ORIGIN = /^https?:\/\/[^/\s]+$/;

/** A comma-separated list of web origins (`https://app.example.com`) or `*`, or undefined when unset. */
export function envOrigins() {
  const error = 'expected comma-separated origins such as https://app.example.com, or *';
  return z.preprocess(
    blankToUndefined,
    z
      .string()
      .transform((list) =>
        list
          .split(',')
          .map((o) => o.trim())
          .filter((o) => o.length > 0),
      )
      .refine((origins) => origins.every((o) => o === '*' || ORIGIN.test(o)), { error })
      .optional(),
  );
}

/** `true`/`false` (or `1`/`0`, any case), or undefined when unset. */
export function envBoolean() {
  const error = 'expected true or false';
  const normalized = (value: unknown) => (typeof value === 'string' ? blankToUndefined(value.trim().toLowerCase()) : value);
  return z.preprocess(
    normalized,
    z
      .enum(['true', 'false', '1', '0'], { error })
      .transform((v) => v === 'true' || v === '1')
      .optional(),
  );
}

/** One line per bad variable: its name, what was expected, and what it holds. */
export function envProblems(issues: readonly z.core.$ZodIssue[], env: Env): string[] {
  return issues.map((issue) => {
    const name = String(issue.path[0]);
    return `${name}: ${issue.message}, got ${JSON.stringify(env[name])}`;
  });
}
