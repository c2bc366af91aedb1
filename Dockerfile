# syntax=docker/dockerfile:1
# naftiko-run as a container image: docs/deploy.md. Build with `docker build -t naftiko-run .`
# The image holds exactly what `npm pack` ships (dist, schema, capabilities, README, package.json) and
# the production dependencies pinned by package-lock.json; no sources, no npm, no shell tools beyond
# the base image's busybox.
ARG NODE_VERSION=24

# Production dependencies only, from the lock file (own stage: cached until package*.json change).
FROM node:${NODE_VERSION}-alpine AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# Build the package and unpack what `npm pack` would publish.
FROM node:${NODE_VERSION}-alpine AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json README.md ./
COPY scripts ./scripts
COPY schema ./schema
COPY capabilities ./capabilities
COPY src ./src
RUN npm run build \
 && npm pack --ignore-scripts --pack-destination /tmp \
 && mkdir /out && tar xzf /tmp/naftiko-run-*.tgz -C /out \
 && find /out/package -name '*.map' -delete

FROM node:${NODE_VERSION}-alpine
# npm, npx, corepack and yarn are not needed to run: out of the running file system (the base layer
# still holds them, so this is about what a shell in the container finds, not the image's size)
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
ENV NODE_ENV=production \
    NAFTIKO_CONTROL_PORT=9191
WORKDIR /app
# owned by root and not writable by the process: the root file system may be mounted read-only
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /out/package/ ./
# the `node` user of the base image, numeric so Kubernetes can check runAsNonRoot
USER 1000:1000
# REST and MCP of capabilities/bulksync.yaml, the control adapter
EXPOSE 8080 9090 9191
# Liveness from the control adapter, with node itself (the image has no curl); the port is the CMD's.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.NAFTIKO_CONTROL_PORT+'/health/live',{signal:AbortSignal.timeout(2000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node is PID 1 and handles SIGTERM/SIGINT itself (drain, then exit 0) and SIGHUP (reload); its only
# children are --workers' cluster workers, which it waits for itself, so no init (tini, --init) is needed.
ENTRYPOINT ["node", "/app/dist/cli.js"]
# --host 0.0.0.0: reachable from outside the container (the container network is the boundary; on a
# non-loopback address the Host/Origin check is off, see docs/deploy.md). Keep --control-port equal to
# NAFTIKO_CONTROL_PORT above, which the HEALTHCHECK reads.
CMD ["serve", "/app/capabilities/bulksync.yaml", "--host", "0.0.0.0", "--control-port", "9191"]
