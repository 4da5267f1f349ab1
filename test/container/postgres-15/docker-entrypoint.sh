#!/bin/sh
# The stand-in's entrypoint: what the official postgres image's does for the variables
# compose.postgres.yaml sets. As root it hands PGDATA to postgres and starts again as postgres;
# on an empty PGDATA it makes the cluster, the user with its password and the database; then it
# runs the server in the foreground, as PID 1, listening on every address.
set -eu

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$0" "$@"
fi

if [ "${1:-}" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo 'postgres-entrypoint: POSTGRES_PASSWORD is not set; the database is not initialised' >&2
    exit 1
  fi
  user="${POSTGRES_USER:-postgres}"
  database="${POSTGRES_DB:-$user}"
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  # Other containers log in over the Compose network with the password.
  echo 'host all all all scram-sha-256' >>"$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  # The database is made by a server without TCP, on a socket of its own, so nothing connects
  # half-way through and the health check (pg_isready on the usual socket) answers only once
  # the real server below is up.
  socket="$(mktemp -d)"
  pg_ctl --silent --wait -o "-c listen_addresses='' -c unix_socket_directories='$socket'" start
  if [ "$database" != postgres ]; then
    createdb --host="$socket" --username="$user" -- "$database"
  fi
  pg_ctl --silent --wait -m fast stop
  rmdir "$socket"
  echo "postgres-entrypoint: initialised $PGDATA for user $user, database $database"
fi

exec "$@"
