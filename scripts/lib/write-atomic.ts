import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';

/** Every file under `dir` (recursively), as root-relative paths with `/` separators. */
export async function listFiles(root: string, dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(join(root, dir), { recursive: true, withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

export interface WriteResult {
  written: string[];
  unchanged: string[];
  removed: string[];
}

/**
 * Write all outputs or none. Each file goes to a temp file in its own destination
 * directory (same filesystem, so rename is atomic), and only when every temp file is
 * on disk are they renamed into place. `files` is renamed in insertion order: callers
 * put openapi.json last so an interrupted run leaves a state `--check` flags.
 * Files under `ownedDir` that are not in `files` are stale and removed afterwards.
 */
export async function writeOutputsAtomic(root: string, files: Record<string, string>, ownedDir: string): Promise<WriteResult> {
  const result: WriteResult = { written: [], unchanged: [], removed: [] };
  const staged: Array<{ rel: string; temp: string; target: string }> = [];
  try {
    for (const [rel, content] of Object.entries(files)) {
      const target = join(root, rel);
      // Leave identical files alone so a no-op regenerate does not churn mtimes.
      if ((await readIfExists(target)) === content) {
        result.unchanged.push(rel);
        continue;
      }
      await mkdir(dirname(target), { recursive: true });
      const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
      staged.push({ rel, temp, target });
      await writeFile(temp, content, { encoding: 'utf8', flag: 'wx' });
    }
  } catch (error) {
    await Promise.all(staged.map((s) => rm(s.temp, { force: true })));
    throw error;
  }
  for (const { rel, temp, target } of staged) {
    await rename(temp, target);
    result.written.push(rel);
  }
  const keep = new Set(Object.keys(files));
  for (const rel of await listFiles(root, ownedDir)) {
    if (keep.has(rel)) continue;
    await unlink(join(root, rel));
    result.removed.push(rel);
  }
  return result;
}
