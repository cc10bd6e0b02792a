import { GenerateError } from './errors.js';

export interface CliArgs {
  from: string | undefined;
  root: string | undefined;
  check: boolean;
  help: boolean;
}

export const USAGE = `Usage: npm run generate -- [--from <url|path>] [--root <dir>] [--check]

  --from <url|path>  spec to generate from (JSON or YAML); default $DOLLR_OPENAPI_URL,
                     then https://api.heydollr.app/openapi.json
  --root <dir>       project root holding openapi.json and src/generated (default: cwd)
  --check            regenerate in memory from the committed openapi.json and fail if
                     src/generated differs; never touches the network
  DOLLR_OPENAPI_TIMEOUT_MS  fetch timeout in milliseconds (default 30000)`;

/** Hand-rolled so every mistake is one short line, not node:util's paragraph. */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  const args: CliArgs = { from: undefined, root: undefined, check: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '' || (inline === undefined && v.startsWith('--'))) {
        throw new GenerateError(`${name} needs a value (see --help)`);
      }
      return v;
    };
    switch (name) {
      case '--from':
        args.from = value();
        break;
      case '--root':
        args.root = value();
        break;
      case '--check':
        args.check = true;
        break;
      case '--help':
      case '-h':
        args.help = true;
        break;
      default:
        throw new GenerateError(`unknown argument ${JSON.stringify(arg)} (see --help)`);
    }
  }
  if (args.check && args.from !== undefined) {
    throw new GenerateError('--check always uses the committed openapi.json; drop --from');
  }
  return args;
}
