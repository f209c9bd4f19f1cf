#!/bin/sh
# shardgate: health of a shard's PostgreSQL node, for the compose healthchecks.
#
#   healthcheck.sh primary   accepts TCP connections and is not in recovery
#   healthcheck.sh replica   in recovery, and its WAL receiver is streaming
#
# It connects over TCP on purpose: while the image initialises a new primary
# (initdb, init scripts) its server listens on the socket only, and a socket
# check would call the node healthy before it is ready for the replicas.
#
# Environment: PGHOST (127.0.0.1), PGPORT (5432), POSTGRES_USER (postgres),
# POSTGRES_DB (postgres), POSTGRES_PASSWORD (used when PGPASSWORD is unset).
set -eu

role=${1:-}
case $role in
  primary) expected='f|' ;;
  replica) expected='t|streaming' ;;
  *)
    echo "usage: $0 primary|replica" >&2
    exit 2
    ;;
esac

export PGHOST="${PGHOST:-127.0.0.1}"
export PGPORT="${PGPORT:-5432}"
export PGUSER="${PGUSER:-${POSTGRES_USER:-postgres}}"
export PGDATABASE="${PGDATABASE:-${POSTGRES_DB:-postgres}}"
export PGPASSWORD="${PGPASSWORD:-${POSTGRES_PASSWORD:-}}"
export PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-3}"

state=$(psql --no-psqlrc --no-align --tuples-only --quiet -v ON_ERROR_STOP=1 -c \
  "SELECT pg_is_in_recovery(), coalesce((SELECT status FROM pg_stat_wal_receiver), '')")

if [ "$state" != "$expected" ]; then
  echo "not a healthy $role: pg_is_in_recovery|wal receiver = '$state', expected '$expected'" >&2
  exit 1
fi
