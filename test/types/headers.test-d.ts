// Compile-time contract of default headers: an Authorization entry does not compile (the bearer
// comes from auth); at run time it is refused in any case (test/client).
import { describe, it } from 'vitest';
import { createDollrClient } from '../../src/index.js';

describe('default headers', () => {
  it('accepts headers, refuses Authorization', () => {
    void createDollrClient({ auth: 't', headers: { 'x-tenant': 'acme' } });
    // @ts-expect-error the bearer comes from auth, never from headers
    void createDollrClient({ auth: 't', headers: { Authorization: 'Bearer x' } });
    // @ts-expect-error in any case
    void createDollrClient({ auth: 't', headers: { authorization: 'Bearer x' } });
  });
});
