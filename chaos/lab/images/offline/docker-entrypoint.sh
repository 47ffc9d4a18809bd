#!/bin/sh
# Entrypoint of the offline chaos/db image (Debian bookworm + postgresql-15).
#
# It accepts the same environment as the official postgres image, as far as the
# lab needs it:
#   POSTGRES_PASSWORD          required, unless POSTGRES_HOST_AUTH_METHOD=trust
#   POSTGRES_USER              superuser name (default: postgres)
#   POSTGRES_DB                database created on first start (default: $POSTGRES_USER)
#   POSTGRES_HOST_AUTH_METHOD  pg_hba method for TCP clients (default: scram-sha-256)
#   POSTGRES_INITDB_ARGS       extra arguments for initdb
#   PGDATA                     data directory (default: /var/lib/postgresql/data)
#
# On the first start (no PG_VERSION in $PGDATA) it creates the cluster, starts a
# temporary server reachable through the Unix socket only, creates the database,
# feeds it /docker-entrypoint-initdb.d/*.sql, *.sql.gz and *.sh (in name order),
# stops it again, and finally replaces itself with postgres listening on all
# addresses. Any other command line is run as given.
set -eu

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

say() { printf 'chaos-entrypoint: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# "docker run chaos/db -c shared_buffers=256MB" means options for postgres.
case "${1:-}" in
    -*) set -- postgres "$@" ;;
    '') set -- postgres ;;
esac

if [ "$1" != postgres ]; then
    exec "$@"
fi

# Stage 1 (root): own the directories, then run again as the postgres user.
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chmod 0700 "$PGDATA"
    chmod 2775 /var/run/postgresql
    chown -R postgres:postgres "$PGDATA" /var/run/postgresql
    exec gosu postgres "$0" "$@"
fi

# Stage 2 (postgres): first-time initialisation.
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "${POSTGRES_USER:=postgres}"
    : "${POSTGRES_DB:=$POSTGRES_USER}"
    : "${POSTGRES_HOST_AUTH_METHOD:=}"
    : "${POSTGRES_INITDB_ARGS:=}"
    : "${POSTGRES_PASSWORD:=}"

    if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
        die "the database is not initialised and POSTGRES_PASSWORD is empty.
  Set POSTGRES_PASSWORD (e.g. -e POSTGRES_PASSWORD=secret), or set
  POSTGRES_HOST_AUTH_METHOD=trust to allow every connection without a password."
    fi
    auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"

    say "creating a new cluster in $PGDATA"
    pwfile=""
    if [ -n "$POSTGRES_PASSWORD" ]; then
        pwfile="$(mktemp)"
        printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
    fi
    # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a word list on purpose
    initdb --username="$POSTGRES_USER" --encoding=UTF8 --locale=C.UTF-8 \
        ${pwfile:+--pwfile="$pwfile"} $POSTGRES_INITDB_ARGS >/dev/null
    if [ -n "$pwfile" ]; then rm -f "$pwfile"; fi

    # Local (socket) connections inside the container are trusted; TCP clients
    # must authenticate with the configured method (md5 entries still work
    # against scram passwords, as in the official image).
    {
        printf '\n# added by the chaos entrypoint\n'
        printf 'host all all all %s\n' "$auth"
    } >> "$PGDATA/pg_hba.conf"

    # A temporary server on the socket only, so nobody connects before we are done.
    pg_ctl -D "$PGDATA" -w -t 60 -o "-c listen_addresses='' -p 5432" start >/dev/null

    export PGUSER="$POSTGRES_USER" PGHOST=/var/run/postgresql PGPORT=5432
    export PGPASSWORD="$POSTGRES_PASSWORD"
    if [ "$POSTGRES_DB" != postgres ]; then
        say "creating database $POSTGRES_DB"
        psql -v ON_ERROR_STOP=1 --no-psqlrc -q -d postgres \
            --set db="$POSTGRES_DB" <<'SQL'
CREATE DATABASE :"db";
SQL
    fi

    for f in /docker-entrypoint-initdb.d/*; do
        [ -e "$f" ] || continue
        case "$f" in
            *.sh)
                say "running $f"
                if [ -x "$f" ]; then "$f"; else . "$f"; fi
                ;;
            *.sql)
                say "running $f"
                psql -v ON_ERROR_STOP=1 --no-psqlrc -q -d "$POSTGRES_DB" -f "$f"
                ;;
            *.sql.gz)
                say "running $f"
                gunzip -c "$f" | psql -v ON_ERROR_STOP=1 --no-psqlrc -q -d "$POSTGRES_DB"
                ;;
            *)
                say "ignoring $f"
                ;;
        esac
    done

    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    unset PGPASSWORD PGUSER PGHOST PGPORT
    say "initialisation complete; starting postgres"
fi

# Our listen_addresses comes first so that a "-c listen_addresses=..." given on
# the command line still wins.
shift
exec postgres -c listen_addresses='*' "$@"
