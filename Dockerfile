# c8y-mtls-mock as an image for QA pipelines: see docs/qa-pipelines.md.
#   docker build -t c8y-mtls-mock .
# (add --network host on machines where containers cannot have a network of their own).
#
# Both stages are node:24-bookworm-slim, the current LTS. The build stage compiles better-sqlite3
# against the image's own headers (/usr/local/include/node), so no download is needed.

# --- build: compile better-sqlite3 and the TypeScript, then drop the dev dependencies ---
FROM node:24-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here; better-sqlite3 is then
# compiled on its own, against the image's headers (no download needed).
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && if [ -f /usr/local/include/node/node.h ]; then export npm_config_nodedir=/usr/local; fi \
 && npm rebuild better-sqlite3 \
 && node -e "new (require('better-sqlite3'))(':memory:').close()"
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -f dist/.tsbuildinfo && find dist -name '*.map' -delete \
 && chmod +x dist/bin.cjs

# --- runtime: production dependencies and the compiled code, as the unprivileged user node ---
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    C8Y_MOCK_PORT=8443 \
    C8Y_MOCK_API_PORT=443 \
    C8Y_MOCK_MQTT_PORT=8883 \
    C8Y_MOCK_HOST=0.0.0.0 \
    C8Y_MOCK_CERTS_DIR=/certs \
    C8Y_MOCK_DATA_DIR=/data \
    C8Y_MOCK_LOG_FORMAT=json
# /certs: development CA and server certificate (share it read-only with clients that must trust
# the mock); /data: the embedded database; /pki: a place for files made with `certs` commands.
RUN mkdir -p /certs /data /pki && chown 1000:1000 /certs /data /pki \
 && ln -s /app/dist/bin.cjs /usr/local/bin/c8y-mtls-mock
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The dashboard's page, served as it is (no build step).
COPY ui ./ui
# The base image's user node, by number so that runAsNonRoot checks can see it is not root.
USER 1000:1000
VOLUME ["/certs", "/data"]
# 443: the API door (HTTPS without client certificates: REST, dashboard, EST), as the platform's;
# 8443: the mTLS door (the token endpoint, and every API too); 8883: MQTT over TLS for devices.
# A non-root process binds 443 in a container's own network namespace (Docker 20.10 and later set
# net.ipv4.ip_unprivileged_port_start=0 there); with the host's network, set C8Y_MOCK_API_PORT.
EXPOSE 443 8443 8883
HEALTHCHECK --interval=2s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "/app/dist/healthcheck.js"]
ENTRYPOINT ["c8y-mtls-mock"]
CMD ["serve"]
