/** A capability with a control adapter, a REST and an MCP adapter, and a two-step orchestration: what the observability tests observe. */
export const OBSERVED = (upstream: string, extra = '') => `
naftiko: 1.0.0-alpha3
info:
  label: Observed shop
  description: a shop whose calls are measured and traced
capability:
  consumes:
    - namespace: shop
      type: http
      baseUri: "${upstream}"
      resources:
        - name: item
          path: "/items/{{id}}"
          operations:
            - name: get-item
              method: GET
              inputParameters:
                - name: id
                  in: path
        - name: stock
          path: /stock
          operations:
            - name: get-stock
              method: GET
  exposes:
    - type: control
      port: 1
      management:
        health: true
        info: true
        reload: true
      observability:
        traces:
          local:
            buffer-size: 10
    - type: rest
      namespace: shop-rest
      port: 2
      resources:
        - name: item
          path: "/items/{id}"
          operations:
            - name: get-item
              method: GET
              call: shop.get-item
              with:
                id: shop-rest.id
        - name: item-stock
          path: "/items/{id}/stock"
          operations:
            - name: item-with-stock
              method: GET
              inputParameters:
                - name: id
                  in: path
                  type: string
                  description: the item
              steps:
                - name: item
                  type: call
                  call: shop.get-item
                  with:
                    id: "{{id}}"
                - name: stock
                  type: call
                  call: shop.get-stock
              mappings:
                - targetName: name
                  value: $.item.name
                - targetName: count
                  value: $.stock.count
              outputParameters:
                - name: name
                  type: string
                - name: count
                  type: number
${extra}    - type: mcp
      namespace: shop-mcp
      port: 3
      tools:
        - name: get-item
          description: one item
          call: shop.get-item
          with:
            id: shop-mcp.id
`;
