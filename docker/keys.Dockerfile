# syntax=docker/dockerfile:1
# aico/keys: purpose keys and key versions, derived from the master key.
# Build from the repository root: docker build -f docker/keys.Dockerfile -t aico/keys .
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
COPY apps/keys/ apps/keys/
# The build, then only the packages the built keys requires (docker/collect-runtime-modules.mjs).
RUN node tools/build/build-node-app.mjs keys \
 && node docker/collect-runtime-modules.mjs dist/apps/keys/apps/keys/src/main.js /runtime

# Runtime stage: node, the build output and its packages; no npm cache, compiler or sources.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    AICO_PROFILE=production \
    AICO_DATA_DIR=/data \
    AICO_LOG__FILE=false \
    AICO_LOG__PRETTY=false
# Named volumes start as a copy of these directories: they must belong to the user the app runs as.
RUN mkdir -m 0700 /data && chown node:node /data
WORKDIR /app
# Owned by root and read-only to the app: the code cannot be changed by the process running it.
COPY --from=build /workspace/dist/apps/keys/ ./
COPY --from=build /runtime/node_modules/ ./node_modules/
USER node
CMD ["node", "apps/keys/src/main.js"]
