# Sourced by launch.sh and run-migrations.sh: require_node stops with one line when the `node` on
# PATH is too old for snip. The shell twin of scripts/check-node.mjs (same rule, same sentence,
# kept in step by test/scripts/check-node.test.ts): `node --version` answers without starting
# Node's runtime, so the check costs milliseconds, not the tens a Node process would add to every
# start.

require_node() {
  local version major minor
  if ! version="$(node --version 2>/dev/null)"; then
    printf 'snip needs Node.js 22.12 or later (24 recommended); no node runs on this PATH.\n' >&2
    exit 1
  fi
  if [[ "$version" =~ ^v?([0-9]+)\.([0-9]+)\. ]]; then
    major="${BASH_REMATCH[1]}"
    minor="${BASH_REMATCH[2]}"
    if ((10#$major > 22 || (10#$major == 22 && 10#$minor >= 12))); then
      return 0
    fi
  fi
  printf 'snip needs Node.js 22.12 or later (24 recommended); this is Node.js v%s.\n' \
    "${version#v}" >&2
  exit 1
}
