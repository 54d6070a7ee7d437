# One image, two entrypoints: submit (the default) and evaluate (`node functions/evaluate/index.ts`).
# Node 24 runs the TypeScript sources directly (type stripping): no build output to drift from the code.
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# patches/ holds fixes to dependencies (postgres.js), applied by npm's postinstall (patch-package)
COPY patches ./patches
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-slim
# Node 24 sizes the young generation from the machine's memory; a small one cut a loaded evaluator's
# RSS from ~320 to ~200 MB here, and bench:pipeline's throughput stayed within its run-to-run noise.
ENV NODE_ENV=production PORT=8080 NODE_OPTIONS=--max-semi-space-size=4
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY lib ./lib
COPY functions ./functions
COPY scripts/db-migrate.ts scripts/create-client.ts scripts/restore-offsets.ts ./scripts/
COPY drizzle ./drizzle
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "functions/submit/index.ts"]
