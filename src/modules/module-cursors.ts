import { compareCodePoints } from '../graphql/pagination/compare-code-points.js';
import { decodeCursorText, encodeCursorText } from '../graphql/pagination/cursor-text.js';
import {
  commonPosition,
  MAX_CURSOR_SHARDS,
  readPositions,
  uniformPositions,
  writePositions,
} from '../graphql/pagination/shard-positions.js';
import { isTimestamp } from '../repository/timestamp.js';
import type { ModuleCursors } from './module-api.js';

/** The module API's `cursors`: the gateway's own cursor text, so a module's cursors are checked as strictly as `users`'. */
export const MODULE_CURSORS: ModuleCursors = Object.freeze({
  maxShards: MAX_CURSOR_SHARDS,
  writePositions,
  readPositions,
  commonPosition,
  uniformPositions,
  encodeText: encodeCursorText,
  decodeText: decodeCursorText,
  isTimestamp: (text: string) => isTimestamp(text),
  compareText: compareCodePoints,
});
