/**
 * `npm run generate`: fetch the Dollr OpenAPI document, validate it, and write
 * openapi.json + src/generated/ atomically, printing what changed.
 * `npm run generate -- --check`: verify src/generated matches the committed snapshot.
 * The command itself lives in scripts/lib/cli.ts; see scripts/lib/args.ts for the options.
 */
import { runGenerate } from './lib/cli.js';

runGenerate(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  out: (line) => console.log(line),
  err: (line) => console.error(line),
}).then((code) => {
  process.exitCode = code;
});
