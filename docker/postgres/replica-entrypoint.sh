#!/bin/sh
# shardgate: entrypoint of a shard's streaming replica (postgres:15 image).
#
# On an empty data directory: wait until the primary accepts connections,
# clone it with `pg_basebackup -R -X stream --checkpoint=fast` (-R writes
# standby.signal and primary_conninfo), then start PostgreSQL as a hot standby.
# On a data directory that already holds a clone: start it as it is, and it
# resumes streaming where it stopped.
#
# Environment (defaults are those of docker-compose.yml):
#   PRIMARY_HOST          the primary to clone and follow (required)
#   PRIMARY_PORT          5432
#   REPLICATION_USER      replicator
#   REPLICATION_PASSWORD  replicator-local-dev
#   PGDATA                /var/lib/postgresql/data
#   PRIMARY_WAIT_SECONDS  120: how long to wait for the primary
# Arguments go to `postgres`, e.g. `-c cluster_name=shard0-replica`.
#
# Started as root (as in the container), it prepares the data directory and
# runs itself again as the postgres user: PostgreSQL refuses to run as root.
set -eu

log() { printf 'replica-entrypoint: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

: "${PRIMARY_HOST:?PRIMARY_HOST must name the primary to replicate}"
PRIMARY_PORT=${PRIMARY_PORT:-5432}
REPLICATION_USER=${REPLICATION_USER:-replicator}
REPLICATION_PASSWORD=${REPLICATION_PASSWORD:-replicator-local-dev}
PGDATA=${PGDATA:-/var/lib/postgresql/data}
PRIMARY_WAIT_SECONDS=${PRIMARY_WAIT_SECONDS:-120}
export PGDATA

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA"
  find "$PGDATA" ! -user postgres -exec chown postgres:postgres '{}' +
  chmod 700 "$PGDATA"
  # gosu is in the official image; setpriv (util-linux) elsewhere. Both exec,
  # so PostgreSQL ends up with this process's pid and gets its stop signal.
  if command -v gosu >/dev/null 2>&1; then
    exec gosu postgres sh "$0" "$@"
  fi
  exec setpriv --reuid=postgres --regid=postgres --init-groups -- sh "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  # pg_basebackup cleans up after itself when it fails, but not when the
  # container was killed half-way: a replica's data is only ever a copy, so
  # whatever is left of an unfinished clone is thrown away.
  if [ -d "$PGDATA" ] && [ -n "$(ls -A "$PGDATA")" ]; then
    log "removing an unfinished clone from $PGDATA"
    find "$PGDATA" -mindepth 1 -delete
  fi

  log "waiting for the primary $PRIMARY_HOST:$PRIMARY_PORT (up to ${PRIMARY_WAIT_SECONDS}s)"
  waited=0
  until pg_isready --quiet --host="$PRIMARY_HOST" --port="$PRIMARY_PORT" --timeout=2; do
    [ "$waited" -lt "$PRIMARY_WAIT_SECONDS" ] ||
      die "the primary $PRIMARY_HOST:$PRIMARY_PORT did not accept connections within ${PRIMARY_WAIT_SECONDS}s"
    sleep 1
    waited=$((waited + 1))
  done

  log "cloning $PRIMARY_HOST:$PRIMARY_PORT into $PGDATA"
  PGPASSWORD=$REPLICATION_PASSWORD pg_basebackup \
    -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$REPLICATION_USER" --no-password \
    -D "$PGDATA" -R -X stream --checkpoint=fast
  chmod 700 "$PGDATA"
  log "clone complete; starting as a hot standby"
elif [ ! -f "$PGDATA/standby.signal" ]; then
  # Someone promoted this node by hand: start it as it is, but say so.
  log "warning: $PGDATA has no standby.signal; starting it as a primary"
fi

exec postgres -D "$PGDATA" -c hot_standby=on "$@"
