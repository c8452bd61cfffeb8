# syntax=docker/dockerfile:1
#
# Fleet's image (DESIGN.md section 7, "Docker"). Two runtime targets:
#   app      api, notifier      no browser
#   browser  worker, launcher   Debian's chromium + chromium-driver, fonts
# The app is chosen by the command: the ENTRYPOINT is tini → docker/entry.sh, so
#   docker build --target browser -t fleet-browser .   then   docker run fleet-browser launcher
#   docker build --target app -t fleet-app .           then   docker run fleet-app api
# (docker-compose.yml does this for every service). Apps run from TypeScript
# (`node --import tsx src/main.ts`, each app's "start" script): there is no build output.
#
# Stages: base (node + pnpm) → manifests (only the package.json files and lockfile) → deps
# (pnpm install, cached until a manifest changes) → source (deps + the code) → app / browser.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS base
# corepack cannot fetch pnpm 12 (the registry serves no signatures for it): npm installs it.
ARG PNPM_VERSION=12
RUN npm install -g "pnpm@${PNPM_VERSION}" && npm cache clean --force
WORKDIR /app

# Every workspace package's package.json (apps/*, packages/*, tests/*, scenarios: pnpm-workspace.yaml), the
# root manifest, lockfile and settings, at their paths — nothing else. Globbed, so a new package
# needs no Dockerfile change; the next stage's cache key is these files' contents only.
FROM base AS manifests
COPY . /context
RUN cd /context \
  && mkdir /manifests \
  && cp --parents package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc /manifests/ \
  && for f in apps/*/package.json packages/*/package.json tests/*/package.json scenarios/package.json; do \
       if [ -f "$f" ]; then cp --parents "$f" /manifests/; fi; \
     done

# All dependencies, dev ones included: the launcher has tsx (its start command needs it) among its
# devDependencies, and no package builds anything, so `--prod` would leave the launcher unable to
# start. The store is a BuildKit cache (not in the image); files are copied out of it.
FROM base AS deps
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,id=fleet-pnpm-store,target=/pnpm/store \
  pnpm_config_store_dir=/pnpm/store pnpm_config_package_import_method=copy \
  pnpm install --frozen-lockfile

# The code on top of the installed node_modules (.dockerignore keeps the host's node_modules out).
FROM deps AS source
COPY . .
RUN chmod +x docker/entry.sh

# What both runtime targets share: tini as PID 1 (forwards SIGTERM to node, reaps the zombies
# Chromium's helpers leave), CA certificates, an unprivileged user and its data directories. The
# directories exist in the image, owned by that user, so named volumes mounted there start with
# the right owner.
FROM base AS runtime
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini ca-certificates \
  && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 fleet \
  && useradd --system --uid 10001 --gid fleet --create-home --home-dir /home/fleet --shell /usr/sbin/nologin fleet \
  && mkdir -p /data/artifacts /data/launcher \
  && chown -R fleet:fleet /data
# In a container, listening on loopback only would make the apps unreachable; data goes to /data.
ENV NODE_ENV=production \
    API_HOST=0.0.0.0 \
    LAUNCHER_HOST=0.0.0.0 \
    ARTIFACTS_DIR=/data/artifacts \
    LAUNCHER_DATA_DIR=/data/launcher

# Chromium from Debian (no browser download anywhere). It runs as the unprivileged user; the
# launcher passes --no-sandbox to every Chromium anyway (apps/launcher/src/browser-process.ts),
# which is also what lets it start under Docker's default seccomp profile, where the sandbox's
# user namespaces are refused. Fonts: Latin/Greek/Cyrillic and emoji; add fonts-noto-cjk for
# CJK pages (about 60 MB more).
FROM runtime AS browser-runtime
RUN apt-get update \
  && apt-get install -y --no-install-recommends \
       chromium chromium-driver \
       fonts-liberation fonts-dejavu-core fonts-noto-color-emoji \
  && rm -rf /var/lib/apt/lists/* \
  && chromium --version && chromedriver --version

# api, notifier.
FROM runtime AS app
COPY --from=source /app /app
USER fleet
ENTRYPOINT ["/usr/bin/tini", "--", "/app/docker/entry.sh"]
CMD ["api"]
# Probes the app this container runs, on its configured port (docker/healthcheck.mjs).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "/app/docker/healthcheck.mjs"]

# worker, launcher.
FROM browser-runtime AS browser
COPY --from=source /app /app
USER fleet
ENTRYPOINT ["/usr/bin/tini", "--", "/app/docker/entry.sh"]
CMD ["worker"]
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "/app/docker/healthcheck.mjs"]
