# syntax=docker/dockerfile:1
# aico/storage: the encrypted libSQL database, bus history, backups and restores.
# Build from the repository root: docker build -f docker/storage.Dockerfile -t aico/storage .
# docker/compose.yaml builds and wires every app; docker/README.md explains both.
ARG NODE_VERSION=20

# Build stage: the whole workspace toolchain, discarded afterwards.
FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /workspace
# The same two instructions open every aico Dockerfile, so the installed workspace is one cached layer for all.
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY tsconfig.base.json ./
COPY tools/build/ tools/build/
COPY docker/collect-runtime-modules.mjs docker/
COPY libs/ libs/
COPY apps/storage/ apps/storage/
# The build, then only the packages the built storage requires (docker/collect-runtime-modules.mjs).
RUN node tools/build/build-node-app.mjs storage \
 && node docker/collect-runtime-modules.mjs dist/apps/storage/apps/storage/src/main.js /runtime

# Runtime stage: node, the build output and its packages; no npm cache, compiler or sources.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    AICO_PROFILE=production \
    AICO_DATA_DIR=/data \
    AICO_LOG__FILE=false \
    AICO_LOG__PRETTY=false
# Named volumes start as a copy of these directories: they must belong to the user the app runs as.
RUN mkdir -m 0700 /data /backups && chown node:node /data /backups
WORKDIR /app
# Owned by root and read-only to the app: the code cannot be changed by the process running it.
COPY --from=build /workspace/dist/apps/storage/ ./
COPY --from=build /runtime/node_modules/ ./node_modules/
USER node
CMD ["node", "apps/storage/src/main.js"]
