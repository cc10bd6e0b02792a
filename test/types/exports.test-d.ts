// The public surface exports only what a user needs: internals removed in issue 17 stay removed,
// and dollr-client/testing shares the main entry's kinds and statuses instead of declaring its own.
import { describe, expectTypeOf, it } from 'vitest';
import type * as Main from '../../src/index.js';
import type * as Testing from '../../src/testing/index.js';

describe('exports', () => {
  it('no longer exports the internals', () => {
    // @ts-expect-error CoreClient is internal: use DollrClient
    type _CoreClient = Main.CoreClient;
    // @ts-expect-error Executions is internal: its methods are on DollrClient
    type _Executions = Main.Executions;
    // @ts-expect-error PayoutOptions was an alias of RequestOptions
    type _PayoutOptions = Main.PayoutOptions;
  });

  it('testing re-exports the one definition of ExecutionKind and ExecutionStatus', () => {
    expectTypeOf<Testing.ExecutionKind>().toEqualTypeOf<Main.ExecutionKind>();
    expectTypeOf<Testing.ExecutionStatus>().toEqualTypeOf<Main.ExecutionStatus>();
  });
});
