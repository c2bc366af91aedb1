// Writes deploy/kubernetes/configmap.yaml: the ConfigMap holding capabilities/bulksync.yaml, byte for
// byte, as the file the Deployment serves. Run after editing the capability: `npm run deploy:configmap`
// (test/deploy.test.ts fails while the two disagree).
import { readFileSync, writeFileSync } from 'node:fs';

const SOURCE = 'capabilities/bulksync.yaml';
const TARGET = 'deploy/kubernetes/configmap.yaml';

export function configMapText(capability) {
  if (!capability.endsWith('\n') || capability.endsWith('\n\n')) throw new Error(`${SOURCE} must end with exactly one newline (a YAML "|" block keeps one)`);
  // an indentation indicator keeps a first line that starts with spaces
  const indicator = capability.startsWith(' ') ? '|4' : '|';
  const body = capability.slice(0, -1).split('\n').map((line) => (line === '' ? '' : `    ${line}`)).join('\n');
  return `# Generated from ${SOURCE} by scripts/deploy-configmap.mjs (npm run deploy:configmap): edit the
# capability, not this file. To serve a capability of your own, replace the data key's content (or
# create the ConfigMap with: kubectl create configmap naftiko-run-capability --from-file=bulksync.yaml=FILE).
apiVersion: v1
kind: ConfigMap
metadata:
  name: naftiko-run-capability
  labels:
    app.kubernetes.io/name: naftiko-run
data:
  bulksync.yaml: ${indicator}
${body}
`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(TARGET, configMapText(readFileSync(SOURCE, 'utf8')));
  console.log(`${TARGET}: written from ${SOURCE}`);
}
