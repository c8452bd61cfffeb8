#!/usr/bin/env bash
# Fleet's set-up for a fresh machine: checks Node, installs pnpm, the system packages Fleet runs on
# (redis-server, chromium, chromium-driver; iproute2 as root) and the workspace's node modules.
#   scripts/setup.sh                 everything (what the README's commands run first)
#   scripts/setup.sh --check-system  system packages only (turbo runs this before tests and benches)
# System packages come from apt-get when it can run (root on Debian/Ubuntu); otherwise this prints
# the exact command to run and stops. Nothing here downloads a browser or a driver by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*" >&2; }

check_node() {
  if ! command -v node >/dev/null 2>&1; then
    say "Node.js 20 or newer is required: install it (e.g. https://nodejs.org or your package manager) and run again."
    exit 1
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 20 ]; then
    say "Node.js $(node -v) is too old: Fleet needs Node 20 or newer."
    exit 1
  fi
}

check_system_packages() {
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  # Sentinel (the fault suite's failover row, RedisSentinelGroup) is `redis-server <conf> --sentinel`:
  # the same binary, so Debian's redis-sentinel package is not needed. ACL users and passwords on
  # Sentinels need Redis 6.2 or newer.
  if command -v redis-server >/dev/null 2>&1; then
    local version
    version=$(redis-server --version | sed -n 's/.*v=\([0-9]*\.[0-9]*\).*/\1/p')
    if [ -n "$version" ] && ! printf '6.2\n%s\n' "$version" | sort -V -C; then
      say "redis-server $version is too old for Fleet's Sentinel tests (6.2 or newer); upgrade redis-server"
      exit 1
    fi
  fi
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
  # The hosts suite's network namespaces (`ip netns`); it only runs as root, and skips without them.
  if [ "$(id -u)" -eq 0 ]; then command -v ip >/dev/null 2>&1 || missing+=(iproute2); fi
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    say "missing system packages: ${missing[*]}"
    say "install them with:  sudo apt-get update && sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
}

check_pnpm() {
  if ! command -v pnpm >/dev/null 2>&1; then
    say "installing pnpm 12 with npm (corepack cannot fetch pnpm 12 here)"
    if ! npm install -g pnpm@12 >/dev/null 2>&1; then
      say "could not install pnpm: run  npm install -g pnpm@12  (with sudo if npm's global folder needs it)"
      exit 1
    fi
  fi
}

check_node
check_system_packages
if [ "${1:-}" = "--check-system" ]; then exit 0; fi
check_pnpm
pnpm install --frozen-lockfile
