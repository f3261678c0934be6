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
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
# Asks the running server's /healthz over HTTP: no second process opens the database.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "dist/healthcheck.js"]
ENTRYPOINT ["node", "dist/main.js"]
# Serves Slack and /healthz (it applies pending migrations first); `scan`, `audit verify` … also work.
CMD ["serve"]
