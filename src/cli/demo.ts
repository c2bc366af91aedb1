/**
 * `npm run demo`: serves capabilities/bulksync.yaml. Without POLYTOMIC_API_KEY it starts the bundled
 * Polytomic sandbox on loopback and points the capability at it (offline, no key needed); with the key
 * set it serves against the real API.
 */
import { packagePath } from '../package-root.js';
import { startRuntime } from '../runtime.js';
import { startupSummary } from './startup-summary.js';
import { closeOnSignal } from './lifecycle.js';
import { tuneHeap } from './heap-tuning.js';
import { startPolytomicSandbox } from '../sandbox/polytomic-sandbox.js';
import { CapabilityLoadError } from '../spec/diagnostics.js';
import { RuntimeError } from '../runtime-error.js';
import { parseCliArgs, serveFlags } from './args.js';

const CAPABILITY = packagePath('capabilities', 'bulksync.yaml');
const NAMESPACE = 'polytomic-subpackage-bulksync';
const SANDBOX_KEY = 'sandbox-demo-key';

const USAGE = `npm run demo -- [options]: serves capabilities/bulksync.yaml (against the bundled sandbox unless POLYTOMIC_API_KEY is set).
Options are those of naftiko-run serve (naftiko-run --help), e.g. --port ${NAMESPACE}-rest=18080, --host ADDR, --log-level debug.`;

async function demo(argv: readonly string[]): Promise<number> {
  let flags;
  try {
    const { values, positionals } = parseCliArgs(argv);
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    if (positionals.length > 0) throw new RuntimeError('NR_ERR_CLI_USAGE', `the demo serves capabilities/bulksync.yaml and takes no file (got ${positionals.join(' ')})`);
    if (values.workers !== undefined) throw new RuntimeError('NR_ERR_CLI_USAGE', 'the demo runs in one process with its sandbox; --workers is for naftiko-run FILE…');
    flags = serveFlags(values, { logLevel: process.env.LOG_LEVEL ?? 'warn' }, () => [`${NAMESPACE}-rest`, `${NAMESPACE}-mcp`]);
  } catch (e) {
    process.stderr.write(`npm run demo: ${(e as Error).message} [${(e as RuntimeError).code}]\n${USAGE}\n`);
    return 2;
  }
  const realKey = process.env.POLYTOMIC_API_KEY;
  const sandbox = realKey ? undefined : await startPolytomicSandbox({ host: '127.0.0.1', port: 0, token: SANDBOX_KEY });
  let runtime;
  try {
    runtime = await startRuntime({
      ...flags.options,
      files: [CAPABILITY],
      ...(sandbox ? { baseUris: new Map([[NAMESPACE, sandbox.url], ...(flags.options.baseUris ?? [])]), env: { ...process.env, POLYTOMIC_API_KEY: SANDBOX_KEY } } : {}),
    });
  } catch (e) {
    await sandbox?.close();
    const code = e instanceof RuntimeError ? ` [${e.code}]` : '';
    process.stderr.write(`${e instanceof CapabilityLoadError || e instanceof RuntimeError ? e.message : (e as Error).stack}${code}\n`);
    return 1;
  }
  tuneHeap();
  const rest = runtime.adapters.find((a) => a.type === 'rest')!;
  const mcp = runtime.adapters.find((a) => a.type === 'mcp')!;
  const lines = [
    sandbox ? `Sandbox Polytomic API (offline, in-memory): ${sandbox.url} — set POLYTOMIC_API_KEY to use the real API instead` : 'Serving against the real Polytomic API (POLYTOMIC_API_KEY is set)',
    startupSummary(runtime),
    '',
    'Try:',
    `  curl ${rest.url}/v1/api/bulk/syncs`,
    `  curl '${rest.url}/v1/api/bulk/syncs?active=true'`,
    `  npx @modelcontextprotocol/inspector@2.12.0 --cli ${mcp.url} --transport http --method tools/list`,
    'Ctrl-C stops.',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return closeOnSignal(async (ms) => {
    await runtime.close(ms);
    await sandbox?.close();
  }, (s) => process.stdout.write(s + '\n'), flags.drainMs);
}

demo(process.argv.slice(2)).then((code) => process.exit(code));
