#!/usr/bin/env bash
# Start or stop the test services (MariaDB 10.11, Redis) under var/services, installing them if needed.
#   scripts/services.sh start   → prints nothing on success; MariaDB on 127.0.0.1:$LC_MDB_PORT, Redis on :$LC_REDIS_PORT
#   scripts/services.sh stop
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${LC_SERVICES_DIR:-$ROOT/var/services}
MDB_PORT=${LC_MDB_PORT:-3306}
REDIS_PORT=${LC_REDIS_PORT:-6379}

install_packages() {
  local need=()
  command -v mariadbd >/dev/null 2>&1 || need+=(mariadb-server)
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  pkg-config --exists libmariadb 2>/dev/null || need+=(libmariadb-dev pkg-config)
  command -v gcc >/dev/null 2>&1 || need+=(build-essential)
  if [ ${#need[@]} -gt 0 ]; then
    echo "==> apt-get install ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

start_mariadb() {
  mkdir -p "$DIR/mariadb"
  if mariadb-admin --no-defaults --socket="$DIR/mariadb/mysqld.sock" -uroot ping >/dev/null 2>&1; then return; fi
  if [ ! -d "$DIR/mariadb/data/mysql" ]; then
    mariadb-install-db --no-defaults --user=root --datadir="$DIR/mariadb/data" \
      --auth-root-authentication-method=socket --skip-test-db >"$DIR/mariadb/install.log" 2>&1
  fi
  mariadbd --no-defaults --user=root --datadir="$DIR/mariadb/data" \
    --socket="$DIR/mariadb/mysqld.sock" --pid-file="$DIR/mariadb/mysqld.pid" \
    --bind-address=127.0.0.1 --port="$MDB_PORT" --log-error="$DIR/mariadb/error.log" \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=2 --skip-name-resolve \
    --max-connections=300 >/dev/null 2>&1 &
  for _ in $(seq 1 150); do
    mariadb-admin --no-defaults --socket="$DIR/mariadb/mysqld.sock" -uroot ping >/dev/null 2>&1 && break
    sleep 0.2
  done
  mariadb --no-defaults --socket="$DIR/mariadb/mysqld.sock" -uroot <<SQL
CREATE DATABASE IF NOT EXISTS lcms CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'lcms'@'127.0.0.1' IDENTIFIED BY 'lcms';
GRANT ALL PRIVILEGES ON *.* TO 'lcms'@'127.0.0.1';
SQL
}

start_redis() {
  mkdir -p "$DIR/redis"
  if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then return; fi
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$DIR/redis" --save '' --appendonly no \
    --daemonize yes --pidfile "$DIR/redis/redis.pid" --logfile "$DIR/redis/redis.log"
  for _ in $(seq 1 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
}

case "${1:-}" in
  install) install_packages ;;
  start) install_packages; start_mariadb; start_redis ;;
  stop)
    [ -f "$DIR/mariadb/mysqld.pid" ] && kill "$(cat "$DIR/mariadb/mysqld.pid")" 2>/dev/null || true
    [ -f "$DIR/redis/redis.pid" ] && kill "$(cat "$DIR/redis/redis.pid")" 2>/dev/null || true
    ;;
  *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
