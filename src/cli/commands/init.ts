/** `naftiko-run init [-o FILE] [--name NAME] [--force]`: a small commented capability to start from. */
import { SUPPORTED_VERSIONS } from '../../spec/load.js';
import { commandFailure as fail, parseGenerateArgs } from '../command-args.js';
import { writeOutput } from '../write-output.js';
import { usageError, type Io } from '../io.js';

export const DEFAULT_INIT_FILE = 'capability.yaml';

export function initCommand(argv: readonly string[], io: Io): number {
  try {
    const args = parseGenerateArgs(argv);
    if (args.positionals.length) return usageError(`init takes no file argument (got ${args.positionals.join(' ')}); write to another file with -o FILE`, io);
    const file = args.output ?? DEFAULT_INIT_FILE;
    writeOutput(file, scaffold(args.name ?? 'my-api', file), args.force);
    io.out(`wrote ${file}. Check it: naftiko-run validate ${file} · serve it: naftiko-run ${file}`);
    return 0;
  } catch (e) {
    return fail(e, io);
  }
}

/** The capability `init` writes: one consumed operation, exposed as a REST route and an MCP tool. */
export function scaffold(ns: string, file: string): string {
  return `# A Naftiko capability: the upstream HTTP API it consumes, and the REST routes and MCP tools it exposes.
# Check it:  naftiko-run validate ${file}
# Serve it:  naftiko-run ${file}   (REST on :8080, MCP on :9090/mcp)
# The format, section by section: docs/guide.md of naftiko-run. From an OpenAPI file instead:
#   naftiko-run import openapi openapi.yaml -o ${file}
naftiko: ${SUPPORTED_VERSIONS[SUPPORTED_VERSIONS.length - 1]}
info:
  label: ${ns}
  description: What this capability offers, in a sentence
# binds:                          # where {{VARIABLES}} come from: here, the environment
#   - namespace: env
#     keys:
#       API_TOKEN: API_TOKEN      # {{API_TOKEN}} is the environment variable API_TOKEN
capability:
  consumes:
    - type: http
      namespace: ${ns}                # "call: ${ns}.get-item" names an operation of this API
      baseUri: http://127.0.0.1:3000  # the upstream; --base-uri ${ns}=URL overrides it when serving
      # authentication:               # sent with every call; secrets always from binds, never inline
      #   type: bearer
      #   token: "{{API_TOKEN}}"
      resources:
        - name: items
          path: "/items/{{id}}"       # {{id}} is filled with the input "id", URL-encoded
          operations:
            - name: get-item
              method: GET
              description: One item by its id
              inputParameters:
                - name: id
                  in: path
                  type: string
                  required: true
                  description: The item's id
  exposes:
    - type: rest                      # GET http://127.0.0.1:8080/items/7
      namespace: ${ns}-rest
      port: 8080
      resources:
        - name: items
          path: "/items/{id}"
          operations:
            - method: GET
              name: get-item
              call: ${ns}.get-item    # no inputs declared: they are the consumed operation's (id)
    - type: mcp                       # Streamable HTTP at http://127.0.0.1:9090/mcp
      namespace: ${ns}-mcp
      port: 9090
      tools:
        - name: get-item
          description: One item by its id
          call: ${ns}.get-item
          hints:                      # tool annotations for MCP clients
            readOnly: true
            idempotent: true
`;
}
