#!/usr/bin/env bash
# Applies pending migrations to the database named by DATABASE_URL: an SQLite file (sqlite:…),
# or a PostgreSQL database (postgres://… or postgresql://…, migrations/postgres/).
# It works on its own; scripts/launch.sh does the same in the server's own process (the server's
# --migrate option), with the same checks of DATABASE_URL (scripts/database-url.sh).
set -euo pipefail

APP_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
# Before anything runs Node: on an older one the SQLite driver crashes instead of failing.
# shellcheck source=check-node.sh
source "$APP_DIR/scripts/check-node.sh"
require_node
# shellcheck source=database-url.sh
source "$APP_DIR/scripts/database-url.sh"

main() {
  prepare_database
  [[ -f "$APP_DIR/dist/migrate.js" ]] || fail "$APP_DIR/dist/migrate.js is missing (run npm run build)"
  node "$APP_DIR/dist/migrate.js" up
}

main "$@"
