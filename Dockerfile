# syntax=docker/dockerfile:1
# The Node container adapter (packages/functions/src/server.ts) for ECS Fargate.
# Build stage: install the workspace from the lockfile and bundle the server with esbuild.
FROM node:22-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json ./
COPY packages ./packages
# Install scripts stay off: nothing the bundle needs runs one (esbuild finds its binary in
# its platform package), and the dev-only ones (DynamoDB Local, workerd) are not wanted here.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY scripts/build.ts ./scripts/build.ts
RUN npx tsx scripts/build.ts server

# Runtime stage: the single-file bundle and its source map, nothing else. The bundle carries
# every dependency (AWS SDK, Hono, jose, zod), so there is no node_modules and no npm.
FROM node:22-slim
ENV NODE_ENV=production \
    PORT=8080
WORKDIR /app
COPY --from=build --chown=root:root /src/dist/server/ ./
# The image's own unprivileged user; the files stay root-owned, so the process cannot edit them.
USER node
EXPOSE 8080
# The liveness probe (no table access): fetch is global in Node 22, so no curl in the image.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 8080}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# server.ts drains on SIGTERM (ECS's stop signal) and exits within 15 s, inside ECS's 30 s.
STOPSIGNAL SIGTERM
# Same node flags as `npm start` (a test keeps them equal): a bounded heap keeps RSS ~120 MB.
CMD ["node", "--enable-source-maps", "--max-old-space-size=128", "--max-semi-space-size=8", "index.mjs"]
