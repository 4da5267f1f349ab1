#!/usr/bin/env bash
# The container's ENTRYPOINT: bring the schema up to date, then become the Node server.
# A failed migration stops here, so the server never runs on a half-migrated schema.
set -euo pipefail

APP_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"

run_migrations() {
  local status=0
  bash "$APP_DIR/scripts/run-migrations.sh" || status=$?
  if ((status != 0)); then
    printf 'launch: migrations failed; not starting the server\n' >&2
    exit "$status"
  fi
}

# exec replaces this shell, so SIGTERM from the container runtime reaches Node directly.
start_server() {
  exec node "$APP_DIR/dist/server.js" "$@"
}

main() {
  run_migrations
  start_server "$@"
}

main "$@"
