/** YAML shared by the inbound-authentication tests. */

/** A consumes block whose one operation forwards the caller's Authorization header: what must never carry an inbound credential. */
export const CONSUMES_ME = `  consumes:
    - type: http
      namespace: up
      baseUri: http://127.0.0.1:9
      resources:
        - name: me
          path: /me
          operations:
            - name: get-me
              method: GET
              inputParameters:
                - name: Authorization
                  in: header
                  type: string
`;
