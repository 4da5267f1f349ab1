#!/usr/bin/env bash
# The container's ENTRYPOINT: bring the schema up to date, then serve, in one Node process: the
# server's --migrate option applies what is pending before it opens the database (the lines and
# the SQLite snapshot of `node dist/migrate.js up`; on PostgreSQL its advisory lock, so machines
# starting together take turns, and MIGRATION_LOCK_TIMEOUT). A failed migration stops the start
# with its message and a non-zero exit; the server never listens on a half-migrated schema.
# scripts/run-migrations.sh still migrates on its own; both check DATABASE_URL with
# scripts/database-url.sh first. The server is the bundle `npm run build` makes (dist/bundle/).
# With LITESTREAM_REPLICA_URL set, a missing database is first restored from the replica and the
# server runs under `litestream replicate` (scripts/litestream.sh, docs/replication.md).
set -euo pipefail

APP_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
# Before anything runs Node: on an older one the SQLite driver crashes instead of failing.
# shellcheck source=check-node.sh
source "$APP_DIR/scripts/check-node.sh"
require_node
# shellcheck source=database-url.sh
source "$APP_DIR/scripts/database-url.sh"
# shellcheck source=litestream.sh
source "$APP_DIR/scripts/litestream.sh"
SERVER="$APP_DIR/dist/bundle/server.js"
# V8's heap kept close to what it holds: a young generation of at most 8 MB a half (Node lets it
# grow to 64 MB under a busy load), and an old one allowed to grow 20% past its last collection
# before the next. Under spread-out visits a million-link server peaked at about 180 MB of RSS
# with them and 300 MB without, for about 4% more CPU (bench/README.md, "Memory"). `npm run
# bench` starts its servers here too.
NODE_FLAGS=(--max-semi-space-size=8 --heap-growing-percent=20)
# glibc's malloc gives each thread that allocates its own arena (tens of MB reserved, kept once
# touched); two are enough for a server whose work runs on one thread. With a million links and
# four rounds of load and fold, the peak RSS stayed at 210–214 MB instead of climbing to 246–252
# (bench/README.md, "Memory"). An operator's own value wins.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"

# DATABASE_URL checked and the database's directory made, as run-migrations.sh does, then the
# server with --migrate. exec replaces this shell, so SIGTERM from the container runtime reaches
# Node directly; a failed migration ends Node with the migration's message, a `launch:` line that
# says which kind of failure it was, and exit 1 (src/server.ts, src/launch-failure.ts).
migrate_and_serve() {
  local status=0
  (prepare_database) || status=$?
  if ((status != 0)); then
    printf 'launch: configuration error in DATABASE_URL; not starting the server\n' >&2
    exit "$status"
  fi
  if [[ ! -f "$SERVER" ]]; then
    printf 'launch: %s is missing (run npm run build); not starting the server\n' "$SERVER" >&2
    exit 1
  fi
  # With LITESTREAM_REPLICA_URL: restored first if missing, then served under Litestream.
  if replicated; then serve_replicated "$@"; fi
  exec node "${NODE_FLAGS[@]}" "$SERVER" --migrate "$@"
}

# The file DATABASE_URL names, read as the server reads it (scripts/database-url.sh). Fails
# (prints nothing) when DATABASE_URL is unset or malformed, and for PostgreSQL, which has no file
# here: the server then explains what to fix, or migrates over the network.
database_file() {
  database_path "${DATABASE_URL:-}" 2>/dev/null
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
  prepare_replica_dir "$user"
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
  migrate_and_serve "$@"
}

main "$@"
