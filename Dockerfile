# One image, three entrypoints: submit (the default), evaluate (`node functions/evaluate/index.ts`) and
# notify (`node functions/notify/index.ts`).
# Node 24 runs the TypeScript sources directly (type stripping): no build output to drift from the code.
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# patches/ holds fixes to dependencies (postgres.js, kafkajs, the wink-nlp model), applied by npm's
# postinstall (patch-package); kafkajs' patched checksum needs @node-rs/crc32's binary (else it falls
# back to a slower table in JavaScript), so the build fails when that binary does not load
COPY patches ./patches
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force \
    && node -e "require('@node-rs/crc32').crc32c(Buffer.from('x'))"

FROM node:24-slim
# V8 sizes its heap from the memory it sees: a small young generation and a capped old generation (which
# V8 also grows more slowly) hold a loaded evaluator's RSS. The compile cache holds every module already
# stripped of its types, so a function never starts Node's WebAssembly type stripper (~25 MB of RSS).
# One malloc arena, and fixed trim and mmap thresholds: glibc's defaults kept an evaluator's freed memory.
# lib/util/function-runtime.ts says why, and gives local runs, benchmarks and the verifier the same.
ENV NODE_ENV=production PORT=8080 \
    NODE_OPTIONS="--max-semi-space-size=8 --max-old-space-size=256" NODE_COMPILE_CACHE=/app/.cache/compile \
    MALLOC_ARENA_MAX=1 MALLOC_TRIM_THRESHOLD_=131072 MALLOC_MMAP_THRESHOLD_=131072
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY lib ./lib
COPY functions ./functions
COPY scripts/db-migrate.ts scripts/create-client.ts scripts/rotate-key.ts scripts/revoke-key.ts \
     scripts/restore-offsets.ts ./scripts/
COPY drizzle ./drizzle
# Fill the compile cache: each entrypoint loads every module it imports, then its configuration check
# refuses PORT=invalid and it exits 78 (any other status is a broken image and fails the build).
RUN for fn in submit evaluate notify; do \
      PORT=invalid node functions/$fn/index.ts > /dev/null 2>&1; test $? -eq 78 || exit 1; \
    done && chown -R node /app/.cache
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "functions/submit/index.ts"]
