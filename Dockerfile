# XPUSH server image (docs/deployment.md). Stage `build` compiles src/ to dist/ and keeps the production
# dependencies; the final stage holds Node, dist/, bin/ and node_modules only, runs as the unprivileged
# user `xpush` and keeps its data (SQLite file, admin token) in the /data volume.
#   docker build -t xpush .        (podman: podman build --format docker -t xpush . — the OCI format drops HEALTHCHECK)
#   docker run -p 8080:8080 -v xpush-data:/data xpush
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 downloads a prebuilt binary when it can; the compiler builds it when it cannot.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
# Set to true where the prebuilt download cannot be reached, to skip straight to the compiler.
ARG npm_config_build_from_source
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json LICENSE ./
COPY scripts/build.mjs scripts/build-console.mjs scripts/
COPY bin bin
COPY src src
RUN node scripts/build.mjs server && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production XPUSH_DATA_DIR=/data XPUSH_HOST=0.0.0.0 XPUSH_PORT=8080
RUN groupadd --system xpush \
  && useradd --system --gid xpush --home-dir /data --no-create-home --shell /usr/sbin/nologin xpush \
  && mkdir -p /data && chown xpush:xpush /data && chmod 700 /data
WORKDIR /app
COPY --from=build /app/package.json /app/LICENSE ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/bin bin
USER xpush
VOLUME ["/data"]
EXPOSE 8080
# Liveness from inside the container, on the port XPUSH_PORT says (set the port with it, not --port).
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.XPUSH_PORT+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/xpush.js"]
CMD ["start"]
