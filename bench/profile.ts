/**
 * Run ONE variant in a loop against the forked loopback server, for profiling:
 *
 *   node --cpu-prof --cpu-prof-dir=bench/results/prof --import tsx bench/profile.ts dollr-post c32 20000
 *   tsx bench/profile.ts bare-fetch seq 5000          # just time it
 *
 * Variants: bare-fetch, openapi-fetch, dollr-post, dollr-payout, dollr-post-cc, and the diagnostic
 * rows (fetch-timeout, fetch-headers, dollr-post-notimeout). Modes: seq, c32.
 * The server runs in its own process, so the profile holds only client-side work.
 */
import { performance } from 'node:perf_hooks';
import { ALL_VARIANTS as VARIANTS, BenchServer, CONCURRENCY, type Mode } from './http.js';

const [id = 'dollr-post', modeArg = 'c32', nArg = '20000'] = process.argv.slice(2);
const mode: Mode = modeArg === 'seq' ? 'seq' : 'c32';
const n = Number(nArg);
const variant = VARIANTS.find((v) => v.id === id);
if (!variant || !Number.isInteger(n) || n <= 0) {
  console.error(`usage: tsx bench/profile.ts <${VARIANTS.map((v) => v.id).join('|')}> <seq|c32> <requests>`);
  process.exit(2);
}

const server = await BenchServer.start();
try {
  const call = await variant.setup(server.baseUrl);
  if (typeof call === 'string') throw new Error(call);
  const run = async (count: number) => {
    if (mode === 'seq') {
      for (let i = 0; i < count; i++) await call();
      return;
    }
    let issued = 0;
    const worker = async () => {
      while (issued < count) {
        issued++;
        await call();
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  };
  await run(Math.min(2000, n)); // warm-up
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run(n);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `${id} ${mode}: ${n} requests in ${ms.toFixed(0)} ms = ${Math.round((n / ms) * 1000)} req/s, ` +
      `${((ms * 1000) / n).toFixed(1)} µs/req wall, ${((cpu.user + cpu.system) / n).toFixed(1)} µs/req client CPU`,
  );
} finally {
  await server.close();
}
