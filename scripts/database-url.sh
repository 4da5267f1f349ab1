# Sourced by run-migrations.sh and launch.sh: DATABASE_URL read in bash, so that neither starts a
# Node process only to find the database. `prepare_database` checks the URL and creates the SQLite
# file's directory; `database_path` gives the file a sqlite: URL names. Every refusal is one line
# on stderr and exit 1 (of the calling shell: run them in a subshell to go on after one). Written
# to stop on every failure without `set -e`, which bash ignores in a subshell tested with `||`.

EXAMPLE_URL='sqlite:/data/db/database.sqlite3'
POSTGRES_EXAMPLE_URL='postgres://user:password@host:5432/snip'

fail() {
  printf 'run-migrations: %s\n' "$1" >&2
  exit 1
}

trim() {
  local text="$1"
  text="${text#"${text%%[![:space:]]*}"}"
  printf '%s' "${text%"${text##*[![:space:]]}"}"
}

# %41 → A, as decodeURIComponent does. A malformed escape is left as it is; Node then rejects it.
percent_decode() {
  local text="$1" decoded='' byte
  while [[ "$text" =~ ^([^%]*)%([0-9A-Fa-f]{2})(.*)$ ]]; do
    printf -v byte "\\x${BASH_REMATCH[2]}"
    decoded+="${BASH_REMATCH[1]}$byte"
    text="${BASH_REMATCH[3]}"
  done
  printf '%s' "$decoded$text"
}

# Mirrors parseDatabaseUrl in src/db/database-url.ts so the path printed here is the one Node opens.
database_path() {
  local url rest
  url="$(trim "$1")"
  if [[ ! "$url" =~ ^sqlite3?:(.*)$ ]]; then
    fail "DATABASE_URL must look like $EXAMPLE_URL or $POSTGRES_EXAMPLE_URL (got \"$(redact "$1")\")"
  fi
  rest="${BASH_REMATCH[1]}"
  if [[ "$rest" == ':memory:' ]]; then
    printf '%s' "$rest"
    return
  fi
  rest="${rest#//}"
  rest="${rest%%\?*}"
  rest="$(percent_decode "$rest")" || exit
  [[ -n "$rest" ]] || fail "DATABASE_URL has no file path (got \"$1\")"
  [[ "$rest" == /* ]] || rest="$PWD/$rest"
  printf '%s' "$rest"
}

# user:secret@ → user:***@ (up to the last @: a password pasted unencoded may hold @ / ? #), and
# password=… → password=***, so the password never reaches a log (redactDatabaseUrl in Node).
redact() {
  local url="$1"
  if [[ "$url" =~ ^([A-Za-z][A-Za-z0-9+.-]*://[^:@/?#]*):.*@(.*)$ ]]; then
    url="${BASH_REMATCH[1]}:***@${BASH_REMATCH[2]}"
  fi
  printf '%s' "$url" | sed -E 's/([Pp][Aa][Ss][Ss][Ww][Oo][Rr][Dd][[:space:]]*=[[:space:]]*)[^&[:space:]]*/\1***/g'
}

# Checks DATABASE_URL, says which database the migrations are for, and creates an SQLite file's
# directory (the driver creates the file, not its directory).
prepare_database() {
  local url path
  url="$(trim "${DATABASE_URL:-}")"
  [[ -n "$url" ]] || fail "DATABASE_URL is not set (example: $EXAMPLE_URL)"
  if [[ "$url" =~ ^postgres(ql)?:// ]]; then
    # The server and the database are someone else's to create; Node checks the rest of the URL.
    printf 'run-migrations: database %s\n' "$(redact "$url")"
  else
    path="$(database_path "$url")" || exit
    if [[ "$path" != ':memory:' ]]; then
      mkdir -p -- "$(dirname -- "$path")" || exit
    fi
    printf 'run-migrations: database %s\n' "$path"
  fi
}
