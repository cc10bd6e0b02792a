/**
 * Loads the sandbox's optional peer dependencies (ajv, ajv-formats, openapi-sampler) at start,
 * never at import: `dollr-client/testing` must still load for Prism users who lack them, and a
 * missing one must say exactly what to install. Only the few members used are typed here, so
 * no emitted declaration refers to these packages.
 */

export interface AjvError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

export interface ValidateFunction {
  (data: unknown): boolean;
  errors?: AjvError[] | null;
}

export interface AjvInstance {
  addSchema(schema: object, key?: string): unknown;
  addKeyword(keyword: string): unknown;
  getKeyword(keyword: string): unknown;
  addFormat(name: string, format: true | RegExp): unknown;
  compile(schema: object): ValidateFunction;
}

type AjvConstructor = new (options: Record<string, unknown>) => AjvInstance;
type FormatsPlugin = (ajv: AjvInstance) => unknown;
export type SampleFunction = (schema: object, options: Record<string, unknown>, document: object) => unknown;

export interface SandboxDeps {
  Ajv: AjvConstructor;
  addFormats: FormatsPlugin;
  sample: SampleFunction;
}

export const PEER_INSTALL = 'npm install --save-dev ajv@8.20.0 ajv-formats@3.0.1 openapi-sampler@1.7.10';

/** CommonJS modules arrive as `{ default: module.exports }`, sometimes with a nested `default`. */
function unwrap<T>(mod: unknown, member?: string): T {
  let value = mod as Record<string, unknown>;
  for (let i = 0; i < 2 && typeof value === 'object' && value !== null && 'default' in value; i++) {
    if (member && typeof value[member] === 'function') break;
    value = value.default as Record<string, unknown>;
  }
  return (member ? value[member] : value) as T;
}

export async function loadDeps(): Promise<SandboxDeps> {
  try {
    const [ajv, formats, sampler] = await Promise.all([
      import('ajv/dist/2020.js'),
      import('ajv-formats'),
      import('openapi-sampler'),
    ]);
    const deps: SandboxDeps = {
      Ajv: unwrap<AjvConstructor>(ajv),
      addFormats: unwrap<FormatsPlugin>(formats),
      sample: unwrap<SampleFunction>(sampler, 'sample'),
    };
    if (typeof deps.Ajv !== 'function' || typeof deps.addFormats !== 'function' || typeof deps.sample !== 'function') {
      throw new Error('unexpected module shape');
    }
    return deps;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `startSandbox needs ajv, ajv-formats and openapi-sampler, optional peer dependencies of dollr-client: ` +
        `${PEER_INSTALL} (${reason})`,
    );
  }
}
