# Sourced by launch.sh and replica.sh: Litestream, when LITESTREAM_REPLICA_URL is set
# (docs/decisions/049-litestream.md, docs/replication.md). Without the variable launch.sh runs
# none of this. With it, a missing database is restored from the replica before the migrations,
# and the server runs as Litestream's child: Litestream replicates the file while the server
# lives, passes SIGTERM and SIGINT on to it, and once it has exited ships the last writes before
# exiting itself. Needs APP_DIR, trim and database_path (database-url.sh).

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
    printf 'litestream: LITESTREAM_REPLICA_URL is set, but %s is missing: install @flydotio/litestream-%s-%s of the version package.json names (npm ci does on linux-x64)\n' \
      "$binary" "$os" "$arch" >&2
    return 1
  fi
  printf '%s' "$binary"
}

# Litestream's configuration, made by the server's own settings code (a wrong
# LITESTREAM_REPLICA_URL fails here with its message, on stderr). It is handed to Litestream on
# standard input, so no file is left behind and none can go stale.
litestream_config() {
  if [[ ! -f "$APP_DIR/dist/litestream.js" ]]; then
    printf 'litestream: %s is missing (run npm run build)\n' "$APP_DIR/dist/litestream.js" >&2
    return 1
  fi
  node "$APP_DIR/dist/litestream.js"
}

# The SQLite file DATABASE_URL names; nothing (and a failure) for anything else.
replicated_file() {
  database_path "${DATABASE_URL:-}" 2>/dev/null
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

# As root, for the user the server runs as: a file:// replica's folder (a second volume, say),
# when it is new or empty, since Litestream writes there as that user.
prepare_replica_dir() {
  local user="$1" replica
  replica="$(trim "${LITESTREAM_REPLICA_URL:-}")"
  [[ "$replica" == file:///* ]] || return 0
  replica="${replica#file://}"
  replica="${replica%/}"
  if [[ -n "$replica" && (! -e "$replica" || -z "$(ls -A -- "$replica")") ]]; then
    mkdir -p -- "$replica"
    chown -- "$user:" "$replica"
  fi
}

# Restores a missing database, then replaces this shell with `litestream replicate`, which runs
# `node $SERVER --migrate "$@"` as its child. Every refusal is one line and exit 1.
serve_replicated() {
  local binary config file
  binary="$(litestream_binary)" || {
    printf 'launch: not starting the server\n' >&2
    exit 1
  }
  config="$(litestream_config)" || {
    printf 'launch: the Litestream settings are wrong; not starting the server\n' >&2
    exit 1
  }
  file="$(replicated_file)"
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
    -exec "$(shell_words node "${NODE_FLAGS[@]}" "$SERVER" --migrate "$@")" <<<"$config"
}
