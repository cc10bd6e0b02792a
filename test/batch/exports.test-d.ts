// dollr-client/batch exports what a program needs (run, status, report, check, the fleet's token
// store, the row and summary types) and keeps the machinery (machine, store, SQL helpers) inside.
import { describe, expectTypeOf, it } from 'vitest';
import type * as Batch from '../../src/batch/index.js';
import type { TokenStore } from '../../src/index.js';

describe('dollr-client/batch exports', () => {
  it('exports the runner, the reads, the checks and the fleet token store', () => {
    expectTypeOf<typeof Batch.runBatch>().returns.resolves.toEqualTypeOf<Batch.RunSummary>();
    expectTypeOf<typeof Batch.batchStatus>().returns.resolves.toEqualTypeOf<Batch.RunSummary>();
    expectTypeOf<typeof Batch.batchReport>().returns.resolves.toEqualTypeOf<string>();
    expectTypeOf<ReturnType<typeof Batch.readBatchCsv>>().toEqualTypeOf<Batch.CheckedRows>();
    expectTypeOf<Batch.SqlTokenStore>().toMatchTypeOf<TokenStore>();
    expectTypeOf<Batch.RowEvent['state']>().toEqualTypeOf<Batch.RowState>();
  });

  it('keeps the machinery inside', () => {
    // @ts-expect-error the state machine is internal
    type _Decide = typeof Batch.decide;
    // @ts-expect-error the store is internal: use runBatch, batchStatus, batchReport
    type _Store = Batch.BatchStore;
    // @ts-expect-error the column list is internal
    type _Columns = typeof Batch.COLUMNS;
    // @ts-expect-error the CLI's formatting is internal
    type _Format = typeof Batch.formatProblem;
    // @ts-expect-error the shared pause is the runner's
    type _Pause = typeof Batch.sharedPause;
    // @ts-expect-error memoryTokenStore's home is the main entry
    type _Memory = typeof Batch.memoryTokenStore;
  });
});
