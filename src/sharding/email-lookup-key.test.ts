import { describe, expect, it } from 'vitest';
import { emailLookupKey, emailMatches } from './email-lookup-key.js';
import { shardIdFor } from './shard-id-for.js';

describe('emailLookupKey', () => {
  it('is the email in lower case, so every spelling of one address routes to one lookup shard', () => {
    expect(emailLookupKey('Alice@Example.COM')).toBe('alice@example.com');
    expect(shardIdFor(emailLookupKey('ALICE@example.com'), 4)).toBe(shardIdFor(emailLookupKey('alice@EXAMPLE.com'), 4));
    expect(emailLookupKey('ÜBER@x.io')).toBe('über@x.io');
  });

  it('matches a stored email whatever its case, and nothing else', () => {
    expect(emailMatches('Bob@X.io', 'bob@x.io')).toBe(true);
    expect(emailMatches('bob@x.io', 'bob@x.com')).toBe(false);
    expect(emailMatches('bob@x.io', 'Bob@x.io')).toBe(false);
  });
});
