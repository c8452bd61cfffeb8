#!/bin/sh
# The image's entry point (Dockerfile ENTRYPOINT, under tini):
#   entry.sh api|worker|notifier|launcher   runs that app, as its package.json "start" script does
#   entry.sh <any other command> [args...]  runs that command (a shell, `pnpm --filter ...`)
# tests/docker checks that the command below equals each app's "start" script and that
# docker-compose.yml names only these apps.
set -eu

root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)

case "${1:-}" in
  api | worker | notifier | launcher)
    app=$1
    if [ "$app" = launcher ] && [ ! -x "${LAUNCHER_CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
      echo "entry.sh: the launcher needs Chromium at ${LAUNCHER_CHROMIUM_PATH:-/usr/bin/chromium}: run it from the image's \"browser\" target" >&2
      exit 64
    fi
    cd "$root/apps/$app"
    # exec: node receives the signals tini forwards (SIGTERM → graceful shutdown), no shell between.
    exec node --import tsx src/main.ts
    ;;
  '')
    echo 'usage: entry.sh api|worker|notifier|launcher  (or any command to run instead)' >&2
    exit 64
    ;;
  *)
    exec "$@"
    ;;
esac
