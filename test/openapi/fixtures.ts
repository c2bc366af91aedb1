/** Small capabilities that exercise every part of the OpenAPI document: auth, forward, body inputs, outputs. */

/** Inbound bearer auth; path, query (array), header and nested body inputs; a mapped output; a mock; a forward. */
export const FULL_YAML = `
naftiko: 1.0.0-alpha3
info:
  label: Notes service
  description: Notes, tags and a proxy.
binds:
  - namespace: env
    keys:
      API_TOKEN: API_TOKEN
capability:
  consumes:
    - type: http
      namespace: notes
      baseUri: http://127.0.0.1:9
      resources:
        - name: note
          path: /notes/{{id}}
          operations:
            - name: get-note
              method: GET
            - name: update-note
              method: PUT
              body:
                type: json
                data: '{"title": "{{title}}", "owner": "{{owner}}"}'
        - name: notes
          path: /notes
          operations:
            - name: list-notes
              method: GET
  exposes:
    - type: rest
      namespace: api
      port: 8080
      description: The notes API
      authentication:
        type: bearer
        token: "{{API_TOKEN}}"
      resources:
        - path: /notes/{id}
          name: note
          operations:
            - method: GET
              name: get-note
              label: Get a note
              description: One note by id
              inputParameters:
                - name: id
                  in: path
                  type: string
                  description: the note id
                  pattern: "^[0-9]+$"
                - name: fields
                  in: query
                  type: array
                  description: fields to return
                - name: X-Tenant
                  in: header
                  type: string
                  description: the tenant
                  required: true
              call: notes.get-note
              with:
                id: api.id
              outputParameters:
                - type: object
                  properties:
                    title:
                      type: string
                      mapping: $.title
                    size:
                      type: number
                      mapping: $.dims.size
            - method: PUT
              name: update-note
              description: Change a note
              inputParameters:
                - name: id
                  in: path
                  type: string
                  description: the note id
                - name: title
                  in: body
                  type: string
                  description: the new title
                  required: true
                - name: owner
                  in: body
                  type: string
                  description: the owner
                  value: $.meta.owner
              call: notes.update-note
              with:
                id: api.id
                title: api.title
                owner: api.owner
        - path: /notes
          name: notes
          operations:
            - method: GET
              name: list-notes
              call: notes.list-notes
        - path: /hello
          name: hello
          operations:
            - method: GET
              name: hello
              inputParameters:
                - name: who
                  in: query
                  type: string
                  description: who to greet
              outputParameters:
                - type: object
                  properties:
                    message:
                      type: string
                      value: "Hello, {{who}}!"
        - path: /proxy/{path}
          name: proxy
          forward:
            targetNamespace: notes
            trustedHeaders: [X-Trace, Authorization]
`;

/** Inbound API key in the query; a whole-body input; no loopback address. */
export const APIKEY_YAML = `
naftiko: 1.0.0-alpha3
binds:
  - namespace: env
    keys:
      KEY: KEY
capability:
  consumes:
    - type: http
      namespace: up
      baseUri: http://127.0.0.1:9
      resources:
        - name: things
          path: /things
          operations:
            - name: create-thing
              method: POST
              inputParameters:
                - name: body
                  in: body
                  type: object
                  description: the thing
                  required: true
  exposes:
    - type: rest
      namespace: keyed
      address: 0.0.0.0
      port: 8090
      authentication:
        type: apikey
        key: api_key
        value: "{{KEY}}"
        placement: query
      resources:
        - path: /things
          name: things
          operations:
            - method: POST
              name: create-thing
              call: up.create-thing
`;
