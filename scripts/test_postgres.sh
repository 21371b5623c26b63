#!/usr/bin/env bash
# Start (or stop) a throw-away PostgreSQL server on loopback for the test suite.
#   eval "$(scripts/test_postgres.sh start)"   # exports YL_TEST_POSTGRES_URL
#   scripts/test_postgres.sh stop
set -euo pipefail
PGPORT="${YL_TEST_PGPORT:-55432}"
PGDATA="${YL_TEST_PGDATA:-/tmp/yl-test-pgdata}"
bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
[ -n "$bindir" ] || { echo "echo 'no PostgreSQL server installed (apt-get install postgresql)' >&2"; exit 0; }

as_pg() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

case "${1:-start}" in
  start)
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
      mkdir -p "$PGDATA"
      [ "$(id -u)" = 0 ] && chown postgres "$PGDATA"
      as_pg "'$bindir/initdb' -D '$PGDATA' -A trust -U postgres >/dev/null"
    fi
    if ! as_pg "'$bindir/pg_ctl' -D '$PGDATA' status >/dev/null 2>&1"; then
      as_pg "'$bindir/pg_ctl' -D '$PGDATA' -l '$PGDATA/server.log' -w \
        -o \"-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off\" start >/dev/null"
    fi
    as_pg "'$bindir/psql' -h 127.0.0.1 -p $PGPORT -U postgres -tAc \
      \"SELECT 1 FROM pg_database WHERE datname='yl_test'\" | grep -q 1 || \
      '$bindir/createdb' -h 127.0.0.1 -p $PGPORT -U postgres yl_test"
    echo "export YL_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:$PGPORT/yl_test"
    ;;
  stop)
    as_pg "'$bindir/pg_ctl' -D '$PGDATA' -m fast stop >/dev/null 2>&1" || true
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
