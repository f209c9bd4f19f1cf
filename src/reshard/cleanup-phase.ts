import { formatSeconds } from './format-progress.js';
import type { ReshardContext } from './reshard-context.js';
import { belongsAfter } from './reshard-plan.js';

/**
 * The last phase, after the switch: every user deleted, in batches, from the
 * databases it no longer belongs to, and the change capture stopped.
 */
export async function cleanup(ctx: ReshardContext, delayMs: number): Promise<void> {
  if (delayMs > 0) {
    ctx.log(`cleanup: waiting ${formatSeconds(delayMs / 1000)} for every gateway to adopt the new layout`);
    await new Promise((r) => setTimeout(r, delayMs));
  }
  const sizes = await ctx.eachDatabase((_, s) => s.countUsers());
  const progress = ctx.progress(
    'cleanup (users checked)',
    sizes.reduce((a, b) => a + b, 0),
  );
  let checked = 0;
  let deleted = 0;
  await ctx.eachDatabase(async (i, store) => {
    let cursor: string | null = null;
    for (;;) {
      const ids = await store.scanUserIds(cursor, ctx.batch);
      if (ids.length === 0) break;
      const leaving = ids.filter((id) => !belongsAfter(ctx.plan, i, id));
      deleted += await store.deleteUsers(leaving);
      cursor = ids[ids.length - 1]!;
      checked += ids.length;
      progress(checked);
    }
  });
  progress(checked, true);
  // Email claim markers whose user is gone are not moved (nothing verifies them): the ones left where they no longer belong go.
  let markers = 0;
  await ctx.eachDatabase(async (i, store) => {
    let cursor: string | null = null;
    for (;;) {
      const ids = await store.scanEmailClaimUserIds(cursor, ctx.batch);
      if (ids.length === 0) break;
      markers += await store.deleteEmailClaims(ids.filter((id) => !belongsAfter(ctx.plan, i, id)));
      cursor = ids[ids.length - 1]!;
    }
  });
  if (markers > 0) ctx.log(`cleanup: ${markers} email claim marker(s) of deleted users removed from the shards they left`);
  // The capture served the copy only: it stops after the switch, not inside the write pause.
  await ctx.eachOldShard((_, store) => store.stopCapture());
  ctx.log(`cleanup: ${deleted} user(s) deleted from the shards they left`);
}
