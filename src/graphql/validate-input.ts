import { BadUserInputError } from './errors.js';

/** Limits of CONTRACT §5, checked before any SQL. */
export const MAX_TEXT_LENGTH = 255;
export const MAX_IDS = 500;
export const MAX_PAGE_SIZE = 100;

const CONTROL = /\p{Cc}/u;
const FORMAT = /\p{Cf}/u;
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// `local@domain`: one @, neither side empty, no whitespace or control characters.
const EMAIL = /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+$/u;

/** Length in characters (code points), as VARCHAR(255) counts them. */
function charLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * Every string argument: not empty, at most 255 characters, well-formed
 * Unicode (a lone surrogate would be stored as U+FFFD, so two different
 * values could become one), and no control characters (PostgreSQL refuses
 * NUL outright; the others have no place in a name, an email or an id).
 */
function text(field: string, value: string): string {
  if (value.length === 0) throw new BadUserInputError(field, 'must not be empty');
  if (value.length > MAX_TEXT_LENGTH && charLength(value) > MAX_TEXT_LENGTH) {
    throw new BadUserInputError(field, `must be at most ${MAX_TEXT_LENGTH} characters`);
  }
  if (LONE_SURROGATE.test(value)) throw new BadUserInputError(field, 'must be well-formed Unicode (it contains a lone surrogate)');
  if (CONTROL.test(value)) throw new BadUserInputError(field, 'must not contain control characters');
  return value;
}

/**
 * A userId the client names: `text`, not blank, and no Unicode format
 * characters (category Cf: zero-width space U+200B, bidi overrides U+202E,
 * the byte order mark, soft hyphen, zero-width joiner…). They are invisible,
 * so `admin\u200B` would print like `admin` and address another user; free
 * text (`name`) keeps them, where they shape scripts and emoji.
 */
export function validUserId(field: string, value: string): string {
  storedUserId(field, value);
  const at = FORMAT.exec(value);
  if (at) {
    const hex = at[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new BadUserInputError(field, `must not contain invisible format characters (U+${hex} at index ${at.index})`);
  }
  return value;
}

/**
 * The userId rules before format characters were refused: what a cursor may
 * carry, because the gateway wrote the cursor from a stored row, and a row
 * stored earlier must not stop the pages after it.
 */
export function storedUserId(field: string, value: string): string {
  text(field, value);
  if (value.trim().length === 0) throw new BadUserInputError(field, 'must not be blank');
  return value;
}

export function validName(field: string, value: string): string {
  return text(field, value);
}

export function validEmail(field: string, value: string): string {
  text(field, value);
  if (!EMAIL.test(value)) throw new BadUserInputError(field, 'must look like local@domain');
  return value;
}

export function validUserIds(field: string, values: readonly string[]): readonly string[] {
  if (values.length > MAX_IDS) throw new BadUserInputError(field, `at most ${MAX_IDS} ids per request, got ${values.length}`);
  values.forEach((v, i) => {
    try {
      validUserId(field, v);
    } catch (err) {
      // The field stays the argument's name; the message says which element.
      if (err instanceof BadUserInputError) throw new BadUserInputError(field, `element ${i}: ${err.message.slice(field.length + 2)}`);
      throw err;
    }
  });
  return values;
}

export function validPageSize(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_PAGE_SIZE) {
    throw new BadUserInputError(field, `must be between 0 and ${MAX_PAGE_SIZE}`);
  }
  return value;
}
