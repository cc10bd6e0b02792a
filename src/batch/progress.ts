/**
 * What a person sees while a batch runs. On a terminal: one status line redrawn in place
 * (carriage return, cut to the terminal's width so it never wraps, so the screen never
 * scrolls): rows done of total, counts per state, payouts per second, time left. Otherwise
 * (or with --json): one JSON line per change of a row's state, and a summary line at the end.
 */
import { END_STATES } from './machine.js';
import type { RowState } from './machine.js';
import type { RowEvent, RunSummary } from './runner.js';

export interface Progress {
  start(rows: { rowId: string; state: RowState }[]): void;
  event(event: RowEvent): void;
  finish(summary: RunSummary): void;
}

interface Out {
  write(text: string): unknown;
  columns?: number;
}

export function jsonProgress(out: Out): Progress {
  return {
    start: () => undefined,
    event: (event) => out.write(`${JSON.stringify(event)}\n`),
    finish: (summary) => out.write(`${JSON.stringify({ summary: true, ...summary })}\n`),
  };
}

const SHORT: Partial<Record<RowState, string>> = { COMPLETED: 'ok', FAILED: 'failed', REJECTED: 'rejected', NEEDS_REVIEW: 'review', PROCESSING: 'processing', SENT: 'sent' };

/** The status line for these counts: pure, for tests and for the redraw. */
export function progressLine(counts: Map<RowState, number>, total: number, elapsedMs: number, doneThisRun: number, width: number): string {
  const done = END_STATES.reduce((n, s) => n + (counts.get(s) ?? 0), 0);
  const rate = elapsedMs > 0 ? (doneThisRun * 1000) / elapsedMs : 0;
  const left = rate > 0 ? Math.round((total - done) / rate) : undefined;
  const barWidth = 20;
  const filled = total === 0 ? barWidth : Math.round((done / total) * barWidth);
  const parts = Object.entries(SHORT)
    .map(([state, label]) => [label, counts.get(state as RowState) ?? 0] as const)
    .filter(([, n]) => n > 0)
    .map(([label, n]) => `${label} ${n}`);
  const eta = left === undefined ? '--' : left >= 60 ? `${Math.floor(left / 60)}m${String(left % 60).padStart(2, '0')}s` : `${left}s`;
  const line = `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${[`${done}/${total}`, ...parts].join(' ')} | ${rate.toFixed(1)}/s | left ${eta}`;
  return line.slice(0, Math.max(10, width - 1));
}

export function ttyProgress(out: Out, now: () => number = Date.now): Progress {
  const states = new Map<string, RowState>();
  const counts = new Map<RowState, number>();
  let started = now();
  let doneThisRun = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  const draw = (): void => {
    out.write(`\r\x1b[2K${progressLine(counts, states.size, now() - started, doneThisRun, out.columns || 80)}`);
  };
  const move = (rowId: string, state: RowState): void => {
    const before = states.get(rowId);
    if (before !== undefined) counts.set(before, (counts.get(before) ?? 0) - 1);
    states.set(rowId, state);
    counts.set(state, (counts.get(state) ?? 0) + 1);
    if (END_STATES.includes(state) && (before === undefined || !END_STATES.includes(before))) doneThisRun++;
  };
  return {
    start(rows) {
      started = now();
      for (const row of rows) move(row.rowId, row.state);
      doneThisRun = 0;
      draw();
      timer = setInterval(draw, 200);
      timer.unref?.();
    },
    event: (event) => move(event.row_id, event.state),
    finish() {
      if (timer) clearInterval(timer);
      draw();
      out.write('\n');
    },
  };
}
