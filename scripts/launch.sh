#!/usr/bin/env bash
# The container's ENTRYPOINT: bring the schema up to date, then become the Node server.
# A failed migration stops here, so the server never runs on a half-migrated schema.
# With a postgres:// DATABASE_URL the migrations run over the network (under an advisory lock, so
# machines starting together take turns), then the server starts on PostgreSQL.
set -euo pipefail

APP_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
# Before anything runs Node: on an older one the SQLite driver crashes instead of failing.
# shellcheck source=check-node.sh
source "$APP_DIR/scripts/check-node.sh"
require_node

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

# The file DATABASE_URL names, resolved by the same code the server uses. Fails (prints nothing)
# when DATABASE_URL is unset or malformed, and for PostgreSQL, which has no file here:
# run-migrations.sh then explains what to fix, or migrates over the network.
database_file() {
  node --input-type=module -e '
    const { pathToFileURL } = await import("node:url");
    const { parseDatabaseUrl } = await import(pathToFileURL(process.argv[1]).href);
    process.stdout.write(parseDatabaseUrl(process.env.DATABASE_URL ?? ""));
  ' "$APP_DIR/dist/db/database-url.js" 2>/dev/null
}

# Gives the database directory, the database with its WAL files, and backups/ to the user.
# Only these: everything else in the image stays root-owned and read-only for the server.
prepare_database_dir() {
  local user="$1" file dir f
  file="$(database_file)" || return 0
  [[ -n "$file" && "$file" != ':memory:' ]] || return 0
  dir="$(dirname -- "$file")"
  # Never hand the root directory to anyone.
  [[ "$dir" != / ]] || return 0
  mkdir -p -- "$dir"
  chown -- "$user:" "$dir"
  for f in "$file" "$file-wal" "$file-shm" "$file-journal"; do
    if [[ -e "$f" ]]; then chown -- "$user:" "$f"; fi
  done
  if [[ -d "$dir/backups" ]]; then chown -R -- "$user:" "$dir/backups"; fi
}

# The image sets SNIP_RUN_AS=node and starts as root, because Fly mounts volumes owned by root.
# Root is used only to make the database directory writable; then this script runs again as
# that user, so migrations and the server never run as root. Without SNIP_RUN_AS (a local
# `npm start`, even as root) nothing changes.
drop_privileges() {
  local user="${SNIP_RUN_AS:-}"
  if [[ -z "$user" || "$(id -u)" != 0 ]]; then return 0; fi
  if ! id -u "$user" >/dev/null 2>&1; then
    printf 'launch: SNIP_RUN_AS=%s is not a user in this image\n' "$user" >&2
    exit 1
  fi
  prepare_database_dir "$user"
  HOME="$(getent passwd "$user" | cut -d: -f6)"
  export HOME
  # The user's own primary group by number: it need not share the user's name.
  exec setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups --no-new-privs -- \
    bash "$APP_DIR/scripts/launch.sh" "$@"
}

# `launch.sh node dist/migrate.js up` runs that command instead (as the same user): Fly runs a
# release_command as arguments to the image's entrypoint, and `docker run IMAGE node dist/keys.js
# list` should list keys, not start a server. Options alone (`launch.sh --flag`) go to the server.
main() {
  drop_privileges "$@"
  if (($# > 0)) && [[ "$1" != -* ]]; then
    exec "$@"
  fi
  run_migrations
  start_server "$@"
}

main "$@"
