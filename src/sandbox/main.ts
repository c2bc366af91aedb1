/**
 * CLI: run the Polytomic sandbox upstream until SIGINT/SIGTERM.
 *
 *   node dist/sandbox/main.js [--port N] [--host H] [--token T] [--no-seed]
 *
 * Environment fallbacks: SANDBOX_PORT (default 8787), SANDBOX_HOST (default 127.0.0.1), SANDBOX_TOKEN.
 * Prints the base URL (the SDK `environment`) as the only line on stdout.
 */
import { parseArgs } from 'node:util';
import { startPolytomicSandbox } from './polytomic-sandbox.js';

function fail(message: string): never {
  process.stderr.write(`polytomic-sandbox: ${message}\n`);
  process.exit(2);
}

let values: { port?: string; host?: string; token?: string; 'no-seed'?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      token: { type: 'string' },
      'no-seed': { type: 'boolean' },
    },
  }));
} catch (err) {
  fail((err as Error).message);
}

const portText = values.port ?? process.env.SANDBOX_PORT ?? '8787';
const port = Number(portText);
if (!/^\d+$/.test(portText) || port > 65535) fail(`invalid port: ${portText}`);

const token = values.token ?? process.env.SANDBOX_TOKEN;
const sandbox = await startPolytomicSandbox({
  host: values.host ?? process.env.SANDBOX_HOST ?? '127.0.0.1',
  port,
  ...(token ? { token } : {}),
  seed: !values['no-seed'],
}).catch((err: Error) => fail(err.message));

process.stdout.write(`${sandbox.url}\n`);
process.stderr.write(`polytomic-sandbox: serving the Bulk Sync API at ${sandbox.url}/api (Ctrl-C to stop)\n`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void sandbox.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
