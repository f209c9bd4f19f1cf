/**
 * How deep a GraphQL document's brackets nest (`{`, `[`, `(`), found by one
 * pass over the text before it is parsed: strings, block strings and
 * comments are skipped, brackets need not match (the parser reports that).
 * Stops as soon as the depth passes `stopAbove` and returns that depth.
 *
 * graphql-js parses nested values and selections by recursion, so a few
 * thousand nested brackets overflow the stack while lexing and parsing,
 * before the token limit is reached; this scan refuses them first.
 */
export function bracketDepth(source: string, stopAbove: number): number {
  let depth = 0;
  let deepest = 0;
  const n = source.length;
  let i = 0;
  while (i < n) {
    const c = source.charCodeAt(i);
    if (c === 0x7b /* { */ || c === 0x5b /* [ */ || c === 0x28 /* ( */) {
      depth += 1;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > stopAbove) return deepest;
      }
      i += 1;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */ || c === 0x29 /* ) */) {
      if (depth > 0) depth -= 1;
      i += 1;
    } else if (c === 0x23 /* # */) {
      while (i < n && source.charCodeAt(i) !== 0x0a && source.charCodeAt(i) !== 0x0d) i += 1;
    } else if (c === 0x22 /* " */) {
      i = source.startsWith('"""', i) ? skipBlockString(source, i + 3) : skipString(source, i + 1);
    } else {
      i += 1;
    }
  }
  return deepest;
}

/** The index after a `"…"` string opened before `i` (or the end of the line or text, where the lexer stops too). */
function skipString(source: string, i: number): number {
  while (i < source.length) {
    const c = source.charCodeAt(i);
    if (c === 0x5c /* \ */) i += 2;
    else if (c === 0x22) return i + 1;
    else if (c === 0x0a || c === 0x0d) return i;
    else i += 1;
  }
  return i;
}

/** The index after a `"""…"""` block string opened before `i` (`\"""` does not close it). */
function skipBlockString(source: string, i: number): number {
  while (i < source.length) {
    if (source.startsWith('\\"""', i)) i += 4;
    else if (source.startsWith('"""', i)) return i + 3;
    else i += 1;
  }
  return i;
}
