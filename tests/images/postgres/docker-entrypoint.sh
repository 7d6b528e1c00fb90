#!/bin/sh
# Entry point of the postgres stand-in, after the official image's: started as root, it gives
# the data folder to postgres and runs itself again as that user; an empty data folder is
# initialised (superuser POSTGRES_USER with POSTGRES_PASSWORD, database POSTGRES_DB, password
# authentication from other hosts, then the *.sql and *.sh files of /docker-entrypoint-initdb.d)
# by a server that listens on no TCP port, so that nothing outside the container sees it ready
# before it is; then postgres replaces this shell.
set -eu

case "${1:-}" in
    -*) set -- postgres "$@" ;;
esac
if [ "${1:-}" != postgres ]; then
    exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chown postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
    chmod 3777 /var/run/postgresql
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

POSTGRES_USER="${POSTGRES_USER:-postgres}"
POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"
AUTH_METHOD="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"

if [ -s "$PGDATA/PG_VERSION" ]; then
    echo "PostgreSQL database directory appears to contain a database; skipping initialization"
else
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$AUTH_METHOD" != trust ]; then
        echo "Error: database is uninitialized and superuser password is not specified." >&2
        echo "       Set POSTGRES_PASSWORD to a non-empty value for the superuser." >&2
        exit 1
    fi
    printf '%s\n' "${POSTGRES_PASSWORD:-}" \
        | initdb --username="$POSTGRES_USER" --pwfile=/dev/stdin --auth-local=trust \
                 --auth-host=trust
    printf '\nhost all all all %s\n' "$AUTH_METHOD" >> "$PGDATA/pg_hba.conf"

    pg_ctl --pgdata="$PGDATA" --wait --options="-c listen_addresses='' -p 5432" start
    if [ "$POSTGRES_DB" != postgres ]; then
        psql --no-psqlrc --no-password --set=ON_ERROR_STOP=1 --username="$POSTGRES_USER" \
             --dbname=postgres --set=name="$POSTGRES_DB" <<'SQL'
CREATE DATABASE :"name";
SQL
    fi
    for script in /docker-entrypoint-initdb.d/*; do
        case "$script" in
            *.sh) echo "running $script"; sh "$script" ;;
            *.sql) echo "running $script"
                   psql --no-psqlrc --no-password --set=ON_ERROR_STOP=1 \
                        --username="$POSTGRES_USER" --dbname="$POSTGRES_DB" --file="$script" ;;
            *) if [ -e "$script" ]; then echo "ignoring $script"; fi ;;
        esac
    done
    pg_ctl --pgdata="$PGDATA" --wait --mode=fast stop
    echo "PostgreSQL init process complete; ready for start up."
fi

exec "$@"
