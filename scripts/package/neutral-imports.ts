/**
 * Runtime-neutrality of an entry point: every file reachable from it, its dependencies
 * included, must import no Node builtin. Resolution follows esbuild's neutral platform
 * (conditions `import`/`default`, no `node`), i.e. what Deno, Bun, edge runtimes and
 * browser bundlers see.
 */
import { builtinModules } from 'node:module';
import { build } from 'esbuild';

export interface BuiltinImport {
  /** Importing file as esbuild names it: relative to the working directory given. */
  importer: string;
  /** The specifier as written, e.g. `node:crypto` or `fs`. */
  specifier: string;
}

const BARE_BUILTINS = builtinModules.filter((name) => !name.startsWith('_'));
// Every builtin spelling, with and without `node:`, subpaths included (`fs/promises`).
const BUILTIN_EXTERNALS = ['node:*', ...BARE_BUILTINS, ...BARE_BUILTINS.map((name) => `${name}/*`)];

export function isBuiltin(specifier: string): boolean {
  if (specifier.startsWith('node:')) return true;
  const [head = '', second] = specifier.split('/');
  return BARE_BUILTINS.includes(head) || BARE_BUILTINS.includes(`${head}/${second ?? ''}`);
}

/**
 * Bundles `entry` (in memory, nothing written) with builtins left external, then lists
 * which input file imported which builtin. An empty list means the entry is neutral.
 */
export async function findBuiltinImports(entry: string, cwd: string): Promise<BuiltinImport[]> {
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: cwd,
    bundle: true,
    platform: 'neutral',
    // Packages without `exports` (CommonJS peers of the testing entry) resolve through `main`,
    // as Deno and Bun resolve them too.
    mainFields: ['module', 'main'],
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    external: BUILTIN_EXTERNALS,
  });
  const found: BuiltinImport[] = [];
  for (const [file, input] of Object.entries(result.metafile.inputs)) {
    for (const imported of input.imports) {
      if (imported.external && isBuiltin(imported.path)) {
        found.push({ importer: file, specifier: imported.original ?? imported.path });
      }
    }
  }
  return found;
}
