# One image, two entrypoints (submit, evaluate). Node 24 runs the TypeScript sources directly
# (type stripping), so there is no build output to drift from the code.
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY lib ./lib
COPY functions ./functions
COPY scripts ./scripts
COPY drizzle ./drizzle
USER node
CMD ["node", "scripts/db-migrate.ts"]
