#!/usr/bin/env bash
# The Litestream replica of a snip on SQLite, with the settings snip runs with
# (LITESTREAM_REPLICA_URL, AWS_*, DATABASE_URL): a restore drill, and what the replica holds.
# docs/replication.md says when to run what.
#
#   scripts/replica.sh restore FILE   # the replica's newest state into FILE, then checked
#                                     # (integrity, links, newest link); the live database and
#                                     # the replica are not touched
#   scripts/replica.sh generations    # the replica's generations, as `litestream generations`
#   scripts/replica.sh snapshots      # its snapshots, as `litestream snapshots`
#
# In the image: /app/scripts/replica.sh … (on Fly: fly ssh console --user node -C "…").
set -euo pipefail

APP_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
# shellcheck source=check-node.sh
source "$APP_DIR/scripts/check-node.sh"
require_node
# shellcheck source=database-url.sh
source "$APP_DIR/scripts/database-url.sh"
# shellcheck source=litestream.sh
source "$APP_DIR/scripts/litestream.sh"

refuse() {
  printf 'replica: %s\n' "$1" >&2
  exit 1
}

usage() {
  refuse 'usage: scripts/replica.sh restore FILE | generations | snapshots'
}

# Opens the restored copy read-only and says what it holds: a drill that ends in a number.
check_copy() {
  (cd "$APP_DIR" && node -e '
    const Database = require("better-sqlite3");
    const db = new Database(process.argv[1], { readonly: true });
    const integrity = db.pragma("integrity_check", { simple: true });
    const { links, newest } = db.prepare("SELECT count(*) AS links, max(created) AS newest FROM urls").get();
    const when = newest === null ? "none" : new Date(newest).toISOString();
    console.log(`replica: ${process.argv[1]}: integrity_check ${integrity}, ${links} links, newest created ${when}`);
    process.exit(integrity === "ok" ? 0 : 1);
  ' "$1")
}

main() {
  local command="${1:-}" binary config file target
  [[ -n "$command" ]] || usage
  replicated || refuse 'LITESTREAM_REPLICA_URL is not set: there is no replica'
  binary="$(litestream_binary)" || exit 1
  config="$(litestream_config)" || exit 1
  file="$(replicated_file)" || refuse 'DATABASE_URL must name the SQLite file snip replicates'
  case "$command" in
    restore)
      (($# == 2)) || usage
      target="$2"
      [[ "$target" == /* ]] || target="$PWD/$target"
      [[ ! -e "$target" ]] || refuse "$target exists: name a new file"
      [[ "$(realpath -m -- "$target")" != "$(realpath -m -- "$file")" ]] ||
        refuse "$target is the live database: name another file"
      "$binary" restore -config /dev/stdin -no-expand-env -o "$target" "$file" <<<"$config" ||
        refuse "cannot restore from $LITESTREAM_REPLICA_URL"
      check_copy "$target"
      ;;
    generations | snapshots)
      (($# == 1)) || usage
      exec "$binary" "$command" -config /dev/stdin -no-expand-env "$file" <<<"$config"
      ;;
    *) usage ;;
  esac
}

main "$@"
