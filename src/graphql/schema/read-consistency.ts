import { builder } from '../builder.js';

export const ReadConsistencyEnum = builder.enumType('ReadConsistency', {
  values: {
    EVENTUAL: { description: 'a replica of the shard (falls back to the primary); may lag' },
    STRONG: { description: "the shard's primary: read-after-write guaranteed" },
  } as const,
});
