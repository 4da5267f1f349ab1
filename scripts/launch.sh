#!/usr/bin/env bash
# The container's ENTRYPOINT: bring the schema up to date, then serve, in one Node process: the
# server's --migrate option applies what is pending before it opens the database (the lines and
# the SQLite snapshot of `node dist/migrate.js up`; on PostgreSQL its advisory lock, so machines
# starting together take turns, and MIGRATION_LOCK_TIMEOUT). A failed migration stops the start
# with its message and a non-zero exit; the server never listens on a half-migrated schema.
# scripts/run-migrations.sh still migrates on its own; both check DATABASE_URL with
# scripts/database-url.sh first. The server is the bundle `npm run build` makes (dist/bundle/).
set -euo pipefail

APP_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
# Before anything runs Node: on an older one the SQLite driver crashes instead of failing.
# shellcheck source=check-node.sh
source "$APP_DIR/scripts/check-node.sh"
require_node
# shellcheck source=database-url.sh
source "$APP_DIR/scripts/database-url.sh"
SERVER="$APP_DIR/dist/bundle/server.js"

# DATABASE_URL checked and the database's directory made, as run-migrations.sh does, then the
# server with --migrate. exec replaces this shell, so SIGTERM from the container runtime reaches
# Node directly; a failed migration ends Node with the migration's message, the line below, and
# exit 1 (src/server.ts).
migrate_and_serve() {
  local status=0
  (prepare_database) || status=$?
  if ((status == 0)) && [[ ! -f "$SERVER" ]]; then
    printf 'run-migrations: %s is missing (run npm run build)\n' "$SERVER" >&2
    status=1
  fi
  if ((status != 0)); then
    printf 'launch: migrations failed; not starting the server\n' >&2
    exit "$status"
  fi
  if replicated; then serve_replicated "$@"; fi
  exec node "$SERVER" --migrate "$@"
}

# ---- Litestream, with LITESTREAM_REPLICA_URL set (docs/decisions/049-litestream.md) ---------
# Without it, nothing below runs. With it, a missing database is restored from the replica
# before the migrations, and the server runs as Litestream's child: Litestream replicates the
# file while it lives, passes SIGTERM and SIGINT on to it, and once it has exited ships the last
# writes before exiting itself.

replicated() {
  [[ -n "$(trim "${LITESTREAM_REPLICA_URL:-}")" ]]
}

# The static binary of Fly's npm package for this platform, @flydotio/litestream-<os>-<arch>
# (npm ci installs linux-x64's, pinned in package.json; the image fetches its own platform's).
litestream_binary() {
  local os arch binary
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) os="$(uname -s)" ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) arch="$(uname -m)" ;;
  esac
  binary="$APP_DIR/node_modules/@flydotio/litestream-$os-$arch/litestream"
  if [[ ! -x "$binary" ]]; then
    printf 'launch: LITESTREAM_REPLICA_URL is set, but %s is missing: install @flydotio/litestream-%s-%s of the version package.json names (npm ci does on linux-x64); not starting the server\n' \
      "$binary" "$os" "$arch" >&2
    return 1
  fi
  printf '%s' "$binary"
}

# Words for Litestream's -exec, which splits them as a shell would (go-shellwords): each in
# single quotes, a quote inside as '\''.
shell_words() {
  local words='' word
  for word in "$@"; do
    words+=" '${word//\'/\'\\\'\'}'"
  done
  printf '%s' "${words# }"
}

serve_replicated() {
  local binary config file
  binary="$(litestream_binary)" || exit 1
  if [[ ! -f "$APP_DIR/dist/litestream.js" ]]; then
    printf 'launch: %s is missing (run npm run build)\n' "$APP_DIR/dist/litestream.js" >&2
    exit 1
  fi
  # Litestream's configuration, made by the server's own settings code (a wrong
  # LITESTREAM_REPLICA_URL stops here with its message) and handed over on standard input, so
  # no file is left behind and none can go stale.
  config="$(node "$APP_DIR/dist/litestream.js")" || {
    printf 'launch: the Litestream settings are wrong; not starting the server\n' >&2
    exit 1
  }
  file="$(database_file)"
  if [[ ! -e "$file" ]]; then
    # SQLite would replay a WAL left without its database onto the restored file.
    if [[ -e "$file-wal" || -e "$file-shm" ]]; then
      printf 'launch: %s is missing but its -wal or -shm file is there; move them away before restoring; not starting the server\n' \
        "$file" >&2
      exit 1
    fi
    printf 'litestream: %s is missing; restoring it from %s\n' "$file" "$LITESTREAM_REPLICA_URL"
    if ! "$binary" restore -config /dev/stdin -no-expand-env -if-db-not-exists \
      -if-replica-exists "$file" <<<"$config"; then
      # Starting empty would make a new generation the replica's newest: never by accident.
      printf 'launch: cannot restore %s from %s; not starting the server (check the replica and its AWS_* credentials)\n' \
        "$file" "$LITESTREAM_REPLICA_URL" >&2
      exit 1
    fi
    if [[ -e "$file" ]]; then
      printf 'litestream: restored %s\n' "$file"
    else
      printf 'litestream: the replica holds no database yet; starting a new one\n'
    fi
  fi
  exec "$binary" replicate -config /dev/stdin -no-expand-env \
    -exec "$(shell_words node "$SERVER" --migrate "$@")" <<<"$config"
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
  # A file:// replica's folder (a second volume, say), when it is new or empty: Litestream
  # writes there as the user.
  local replica
  replica="$(trim "${LITESTREAM_REPLICA_URL:-}")"
  if [[ "$replica" == file:///* ]]; then
    replica="${replica#file://}"
    replica="${replica%/}"
    if [[ -n "$replica" && (! -e "$replica" || -z "$(ls -A -- "$replica")") ]]; then
      mkdir -p -- "$replica"
      chown -- "$user:" "$replica"
    fi
  fi
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
