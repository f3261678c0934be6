# syntax=docker/dockerfile:1
# Build: bundle the TypeScript with the dev dependencies (scripts/build.ts says why a bundle).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
COPY commands ./commands
COPY jobs ./jobs
# The simulator (warden demo) enforces the IAM policies shipped in deploy/; the build embeds them.
COPY deploy ./deploy
RUN npm run build

# Run: production dependencies, the built JavaScript and the migrations, as a non-root user.
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    WARDEN_DATA_DIR=/data
# The weekly digest's chart is drawn on the server: it needs a font.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY drizzle ./drizzle
# The frameworks' mapping files (README, Frameworks); WARDEN_FRAMEWORKS_DIR adds a folder of your own.
COPY frameworks ./frameworks
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
# Asks the running server's /healthz over HTTP: no second process opens the database.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "dist/healthcheck.js"]
# The heap's size follows what is alive, not the machine: a young generation of 8 MB per semi-space
# (V8 picks up to 64 MB on a large machine) and an old generation collected once it grows by 30%
# since the last collection. A 1,000-account scan peaks near 180 MB instead of 400 MB, for about a
# third more CPU in the garbage collector (README, Benchmarks). npm run bench:scan uses the same flags.
ENTRYPOINT ["node", "--max-semi-space-size=8", "--heap-growing-percent=30", "dist/main.js"]
# Serves Slack and /healthz (it applies pending migrations first); `scan`, `audit verify` … also work.
CMD ["serve"]
