/**
 * The layout to adopt, given what the shards' primaries recorded: the one of
 * the highest epoch, if it is above the epoch the gateway serves. Any one
 * primary is enough: a reshard records a layout only after verifying it, and
 * records it on every primary of the old and the new layout. Pure.
 */
export function pickNewerLayout<L extends { readonly epoch: number }>(currentEpoch: number, recorded: readonly (L | null)[]): L | null {
  let best: L | null = null;
  for (const layout of recorded) if (layout && layout.epoch > currentEpoch && (!best || layout.epoch > best.epoch)) best = layout;
  return best;
}
