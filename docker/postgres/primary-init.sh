#!/bin/sh
# shardgate: what a shard's PostgreSQL primary needs so that replicas can
# stream from it. The official postgres image runs this once, from
# /docker-entrypoint-initdb.d/, on an empty data directory, while its
# socket-only set-up server is running; the real server starts afterwards and
# reads the pg_hba.conf written here.
#
#   - a login role with REPLICATION and a password, for pg_basebackup and the
#     standby's WAL receiver;
#   - a pg_hba.conf line letting that role connect for replication from any
#     address of the compose network (the image's own `host all all all` line
#     does not match replication connections).
#
# The WAL settings (wal_level, max_wal_senders, wal_keep_size) are on the
# server's command line in docker-compose.yml. The schema is not applied here:
# the compose service `migrate` runs `shardgate migrate` once the primaries are
# healthy.
#
# Environment (defaults are those of docker-compose.yml):
#   REPLICATION_USER      replicator
#   REPLICATION_PASSWORD  replicator-local-dev
#   POSTGRES_USER         postgres (the superuser psql connects as)
#   PGDATA                the data directory (set by the image)
#   PGHOST, PGPORT        where psql connects (the image's default socket if unset)
#
# The image *sources* an init script that is not executable, into its own bash
# with `set -e`: the body runs in a subshell so that its options and variables
# stay out of the entrypoint, and a failure still stops the initialisation.

shardgate_primary_init() (
  set -eu

  : "${PGDATA:?PGDATA must name the data directory}"
  user=${REPLICATION_USER:-replicator}
  password=${REPLICATION_PASSWORD:-replicator-local-dev}

  # The name goes into pg_hba.conf unquoted: keep it to a plain identifier.
  case $user in
    '' | *[!A-Za-z0-9_]*)
      printf 'primary-init: REPLICATION_USER must be letters, digits and _ (got "%s")\n' "$user" >&2
      exit 1
      ;;
  esac

  # psql variables (:'user', :'password') are quoted by psql itself, so any
  # password is safe; \gexec runs the statement that format() builds.
  psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --quiet \
    --username "${POSTGRES_USER:-postgres}" --dbname postgres \
    --set=user="$user" --set=password="$password" <<'SQL'
SELECT format('CREATE ROLE %I', :'user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'user')
\gexec
SELECT format('ALTER ROLE %I WITH LOGIN REPLICATION PASSWORD %L', :'user', :'password')
\gexec
SQL

  hba="$PGDATA/pg_hba.conf"
  line="host replication $user all scram-sha-256"
  if ! grep -qxF "$line" "$hba"; then
    printf '\n# shardgate: streaming replicas (docker/postgres/primary-init.sh)\n%s\n' "$line" >>"$hba"
  fi
  printf 'primary-init: role "%s" may stream WAL (pg_hba: %s)\n' "$user" "$line"
)

shardgate_primary_init
