/** A cursor's text as clients see it: the base64url of its UTF-8 (opaque, URL-safe). */
export function encodeCursorText(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/**
 * The UTF-8 text of a canonical base64url string of at most `maxChars`, or
 * null. The length is checked first, so a forged cursor costs no decoding.
 */
export function decodeCursorText(text: string, maxChars: number): string | null {
  if (text.length === 0 || text.length > maxChars || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64url');
  const decoded = bytes.toString('utf8');
  // Invalid UTF-8 decodes to U+FFFD; a non-canonical base64url text decodes like another.
  if (!Buffer.from(decoded, 'utf8').equals(bytes) || bytes.toString('base64url') !== text) return null;
  return decoded;
}
