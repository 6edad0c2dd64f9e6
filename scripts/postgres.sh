#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL cluster on loopback for the tests.
#   scripts/postgres.sh start DIR PORT   -> prints the DATABASE_URL on its last line
#   scripts/postgres.sh stop DIR
# As root the cluster runs as the `postgres` user (initdb refuses to run as root).
set -euo pipefail

action=$1
dir=$2
port=${3:-5433}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    su postgres -s /bin/bash -c "$*"
  else
    bash -c "$*"
  fi
}

case "$action" in
  start)
    if [ "$(id -u)" -eq 0 ]; then
      install -d -o postgres "$dir" "$dir/data" "$dir/socket"
    else
      mkdir -p "$dir/data" "$dir/socket"
    fi
    as_owner "'$bin/initdb' -D '$dir/data' -U postgres -A trust --no-sync >/dev/null"
    as_owner "'$bin/pg_ctl' -D '$dir/data' -l '$dir/socket/log' -w start \
      -o \"-p $port -k '$dir/socket' -c listen_addresses=127.0.0.1 -c fsync=off \
      -c synchronous_commit=off -c full_page_writes=off -c max_connections=300\"" >/dev/null
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    as_owner "'$bin/pg_ctl' -D '$dir/data' -m fast -w stop" >/dev/null || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start DIR [PORT] | stop DIR" >&2
    exit 2
    ;;
esac
