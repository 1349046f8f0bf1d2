# syntax=docker/dockerfile:1
# aico/gateway: the HTTPS and WebSocket API, the web client and the avatar page on the same origin, the one part reachable from
# outside the container network.
# Build from the repository root: docker build -f docker/gateway.Dockerfile -t aico/gateway .
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
COPY apps/web/ apps/web/
COPY apps/avatar/ apps/avatar/
COPY tools/avatar/ tools/avatar/
# The web client and the avatar page (as `npx nx build web avatar` makes them: Vite into dist/apps/web and
# dist/apps/avatar, the avatar's default model generated on the way), served by the gateway.
RUN npx vite build --config apps/web/vite.config.ts && npx vite build --config apps/avatar/vite.config.ts
COPY apps/gateway/ apps/gateway/
# The build, then only the packages the built gateway requires (docker/collect-runtime-modules.mjs).
RUN node tools/build/build-node-app.mjs gateway \
 && node docker/collect-runtime-modules.mjs dist/apps/gateway/apps/gateway/src/main.js /runtime

# Runtime stage: node, the build output and its packages; no npm cache, compiler or sources.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    AICO_PROFILE=production \
    AICO_DATA_DIR=/data \
    AICO_LOG__FILE=false \
    AICO_LOG__PRETTY=false \
    AICO_GATEWAY__HOST=0.0.0.0 \
    AICO_GATEWAY__WEB_ROOT=/app/web \
    AICO_GATEWAY__AVATAR_ROOT=/app/avatar
# Named volumes start as a copy of these directories: they must belong to the user the app runs as.
RUN mkdir -m 0700 /data && chown node:node /data
WORKDIR /app
# Owned by root and read-only to the app: the code cannot be changed by the process running it.
COPY --from=build /workspace/dist/apps/gateway/ ./
COPY --from=build /runtime/node_modules/ ./node_modules/
COPY --from=build /workspace/dist/apps/web/ ./web/
COPY --from=build /workspace/dist/apps/avatar/ ./avatar/
USER node
EXPOSE 8443
# Liveness over TLS against the certificate the gateway made at first start (pinned, not ignored).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "const fs=require('node:fs'),https=require('node:https');let ca;try{ca=fs.readFileSync((process.env.AICO_DATA_DIR||'/data')+'/gateway/tls-cert.pem')}catch{process.exit(1)}https.get({host:'127.0.0.1',port:Number(process.env.AICO_GATEWAY__PORT||8443),path:'/api/v1/health',ca,timeout:4000},(r)=>{r.resume();process.exit(r.statusCode===200?0:1)}).on('timeout',()=>process.exit(1)).on('error',()=>process.exit(1))"]
CMD ["node", "apps/gateway/src/main.js"]
