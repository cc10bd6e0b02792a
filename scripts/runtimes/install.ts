/**
 * Installs a pinned runtime from the npm registry into `.cache/runtimes/<id>-<version>/`
 * (gitignored), or reuses what is there once the binary runs and reports the pinned version.
 * An install goes to a temporary folder that is renamed into place only after that check,
 * so an interrupted or failed install never leaves a cache entry that looks usable.
 *
 * Run alone to fill the cache: `tsx scripts/runtimes/install.ts [id...]`.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec, killAll, tail } from '../lib/exec.js';
import { PINS, type RuntimePin } from './pins.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CACHE_DIR = join(ROOT, '.cache', 'runtimes');

export type Installed =
  | { ok: true; pin: RuntimePin; bin: string; version: string; source: 'cache' | 'npm'; ms: number }
  | { ok: false; pin: RuntimePin; reason: string; ms: number };

const INSTALL_TIMEOUT_MS = 300_000;
const VERSION_TIMEOUT_MS = 20_000;

function paths(pin: RuntimePin, dir = join(CACHE_DIR, `${pin.id}-${pin.version}`)) {
  return { dir, bin: join(dir, 'node_modules', ...pin.pkg.split('/'), pin.bin) };
}

/** The version the binary reports, or why it could not be read. */
async function reportedVersion(pin: RuntimePin, bin: string): Promise<{ version?: string; reason?: string }> {
  const result = await exec(bin, pin.versionArgs, { cwd: ROOT, timeoutMs: VERSION_TIMEOUT_MS });
  if (result.spawnError) return { reason: `cannot run ${bin}: ${result.spawnError}` };
  if (result.timedOut) return { reason: `${bin} ${pin.versionArgs.join(' ')} did not finish in ${VERSION_TIMEOUT_MS} ms` };
  const version = pin.parseVersion(result.stdout.trim());
  if (result.code !== 0 || version === undefined) {
    return { reason: `${bin} ${pin.versionArgs.join(' ')} exited ${result.code}: ${tail(result.stdout + result.stderr) || 'no output'}` };
  }
  return { version };
}

/**
 * Removes cache entries of earlier pins (`<id>-<other version>`), so a version bump does not
 * leave ~100-190 MB behind. Staging folders (`.tmp-<pid>`) are left to the run that owns them.
 */
export async function pruneStale(): Promise<string[]> {
  const keep = new Set(PINS.map((pin) => `${pin.id}-${pin.version}`));
  const ids = new Set(PINS.map((pin) => pin.id));
  const removed: string[] = [];
  for (const name of existsSync(CACHE_DIR) ? await readdir(CACHE_DIR) : []) {
    const match = /^([a-z0-9]+)-(\d+\.\d+\.\d+)$/.exec(name);
    if (match && ids.has(match[1]!) && !keep.has(name)) {
      await rm(join(CACHE_DIR, name), { recursive: true, force: true });
      removed.push(name);
    }
  }
  return removed;
}

export async function ensureRuntime(pin: RuntimePin): Promise<Installed> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const target = paths(pin);

  if (existsSync(target.bin)) {
    const cached = await reportedVersion(pin, target.bin);
    if (cached.version === pin.version) {
      return { ok: true, pin, bin: target.bin, version: cached.version, source: 'cache', ms: elapsed() };
    }
    // Wrong version or broken binary: reinstall rather than test the wrong thing.
    await rm(target.dir, { recursive: true, force: true });
  }

  const staging = paths(pin, `${target.dir}.tmp-${process.pid}`);
  await rm(staging.dir, { recursive: true, force: true });
  await mkdir(staging.dir, { recursive: true });
  await writeFile(
    join(staging.dir, 'package.json'),
    JSON.stringify({ name: `runtime-cache-${pin.id}`, private: true, description: 'npm run test:runtimes cache; safe to delete' }) + '\n',
  );
  const spec = `${pin.pkg}@${pin.version}`;
  const npmArgs = [
    'install',
    spec,
    '--no-save',
    '--no-package-lock',
    '--no-audit',
    '--no-fund',
    '--ignore-scripts',
    '--loglevel=error',
  ];
  const npm = await exec('npm', npmArgs, { cwd: staging.dir, timeoutMs: INSTALL_TIMEOUT_MS });
  const fail = async (reason: string): Promise<Installed> => {
    await rm(staging.dir, { recursive: true, force: true });
    return { ok: false, pin, reason, ms: elapsed() };
  };
  if (npm.spawnError) return fail(`cannot run npm: ${npm.spawnError}`);
  if (npm.timedOut) return fail(`npm install ${spec} did not finish in ${INSTALL_TIMEOUT_MS / 1000} s`);
  if (npm.code !== 0) return fail(`npm install ${spec} exited ${npm.code}: ${tail(npm.stderr + npm.stdout)}`);
  if (!existsSync(staging.bin)) return fail(`npm install ${spec} succeeded but ${pin.bin} is not in the package`);

  const installed = await reportedVersion(pin, staging.bin);
  if (installed.version !== pin.version) {
    return fail(installed.reason ?? `${spec} reports version ${installed.version}, not the pinned ${pin.version}`);
  }
  await rm(target.dir, { recursive: true, force: true });
  await rename(staging.dir, target.dir);
  return { ok: true, pin, bin: target.bin, version: installed.version, source: 'npm', ms: elapsed() };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const wanted = process.argv.slice(2);
  const pins = wanted.length ? PINS.filter((pin) => wanted.includes(pin.id)) : PINS;
  process.once('SIGINT', () => {
    killAll();
    process.exit(130);
  });
  let failed = 0;
  for (const pin of pins) {
    const result = await ensureRuntime(pin);
    if (result.ok) console.log(`ok - ${pin.label} ${result.version} (${result.source}, ${result.ms} ms): ${result.bin}`);
    else {
      failed++;
      console.log(`not ok - ${pin.label} ${pin.version}: ${result.reason}`);
    }
  }
  process.exitCode = failed ? 1 : 0;
}
