# snip's production image. Build: `docker build -t snip .`
# Run:   `docker run -p 8080:8080 -v snip_data:/data snip`
# Decisions: docs/decisions/006-container-image.md

# ---- build: dependencies and the TypeScript ---------------------------------------------------
FROM node:24-bookworm-slim AS build

WORKDIR /app

# Dependencies first, so a change to src/ reuses the `npm ci` layer. No dependency needs an
# install script; without --ignore-scripts, npm would run node-gyp's configure step for the SQLite
# driver (it finds a binding.gyp), which needs python3 and make even though it compiles nothing.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

# better-sqlite3 13 ships prebuilt binaries for linux x64 and arm64 (glibc and musl), which is
# what this image runs on, so nothing is compiled. On an architecture without one (ppc64le,
# s390x, riscv64…) the driver fails to load; only then are python3, make and a C++ compiler
# installed, in this stage alone, and the driver built from its bundled SQLite source.
RUN if ! node -e "require('better-sqlite3')(':memory:').close()" 2>/dev/null; then \
      apt-get update \
      && apt-get install -y --no-install-recommends python3 make g++ \
      && rm -rf /var/lib/apt/lists/* \
      && npm run build-release --prefix node_modules/better-sqlite3 \
      && node -e "require('better-sqlite3')(':memory:').close()"; \
    fi

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The entries' first import: the Node.js version check (docs/decisions/025-node-version-check.md).
COPY scripts/check-node.mjs scripts/check-node.d.mts ./scripts/
# The build: tsc for the commands, esbuild for the server's bundle (docs/decisions/043-fast-start.md).
COPY scripts/build.mjs ./scripts/
# The build's own records (tsc's build info, esbuild's list of inputs) stay here.
# After the build only production dependencies are left for the runtime stage to copy, and of
# the SQLite driver only the binary this platform loads: the other platforms' prebuilt binaries
# and the bundled SQLite source are 27 MB the server never reads; of Swagger UI only the bundle
# and the stylesheet the API reference serves (src/api/api-reference.ts): its source maps and
# other builds are 11 MB more.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund \
  && rm dist/tsconfig.build.tsbuildinfo dist/bundle/meta.json \
  && find node_modules/swagger-ui-dist -type f ! -name swagger-ui-bundle.js ! -name swagger-ui.css \
       ! -name package.json ! -name LICENSE ! -name NOTICE -delete \
  && cd node_modules/better-sqlite3 \
  && keep="$(node -p "require('./lib/binding.js').getPrebuildPath() || ''")" \
  && for f in prebuilds/*.node; do if [ "$PWD/$f" != "$keep" ]; then rm -- "$f"; fi; done \
  && rm -rf deps src \
  && node -e "require('better-sqlite3')(':memory:').close()"

# Litestream, for LITESTREAM_REPLICA_URL (docs/decisions/049-litestream.md): the static binary
# Fly's npm packages ship, @flydotio/litestream-linux-<arch>, pinned in package.json as an
# optional dependency for linux-x64 (the lock can hold only what its registry had). On another
# architecture npm ci skips it, and the same version's package for this one is fetched by name
# (npm pack checks its hash against the registry's). Where there is none, the image still
# builds and launch.sh refuses LITESTREAM_REPLICA_URL with a message.
RUN version="$(node -p "require('./package.json').optionalDependencies['@flydotio/litestream-linux-x64']")" \
  && pkg="@flydotio/litestream-linux-$(node -p process.arch)" \
  && if [ ! -x "node_modules/$pkg/litestream" ]; then \
       { npm pack --silent "$pkg@$version" \
         && mkdir -p "node_modules/$pkg" \
         && tar -xzf ./*.tgz -C "node_modules/$pkg" --strip-components=1 \
         && rm ./*.tgz; } \
       || echo "no $pkg@$version: this image cannot replicate with Litestream"; \
     fi \
  && if [ -x "node_modules/$pkg/litestream" ]; then "node_modules/$pkg/litestream" version; fi

# ---- runtime: Node, the compiled app and its production dependencies; no toolchain ----------
FROM node:24-bookworm-slim AS runtime

ENV NODE_ENV=production \
    DATABASE_URL=sqlite:/data/db/database.sqlite3 \
    PORT=8080 \
    SNIP_RUN_AS=node

WORKDIR /app

# Owned by root and read-only for the node user: the server cannot rewrite its own code.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY views ./views
COPY locales ./locales
COPY public ./public
COPY migrations ./migrations
COPY scripts ./scripts

# A new named volume copies this directory's owner, so Docker and Podman volumes start writable
# by node. Fly mounts its volumes owned by root; launch.sh fixes that before dropping to node.
RUN mkdir -p /data/db && chown -R node:node /data
VOLUME /data

EXPOSE 8080

# No USER line: launch.sh starts as root only to make the database directory writable, then
# re-executes itself as SNIP_RUN_AS (node) with setpriv before migrating and serving.
ENTRYPOINT ["/app/scripts/launch.sh"]
STOPSIGNAL SIGTERM

# For local runs (Fly uses fly.toml's check instead). The slim image has no curl; node has fetch.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((res) => process.exit(res.status === 200 ? 0 : 1), () => process.exit(1))"
