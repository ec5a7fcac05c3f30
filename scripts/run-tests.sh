#!/usr/bin/env bash
# The whole test suite: import contracts, then pytest on SQLite and on MariaDB (+ Redis/Celery worker tests).
# Called by `make test` (the README's test command) and so by .ci/run.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PY=.venv/bin/python
status=0

pytest_run() {  # pytest's exit 5 ("no tests collected") is a failure of ours, never a pass
  local label=$1; shift
  echo "==> pytest on $label"
  "$PY" -m pytest "$@"
  local rc=$?
  if [ $rc -eq 5 ]; then echo "error: pytest collected no tests on $label" >&2; rc=1; fi
  [ $rc -ne 0 ] && status=1
  return 0
}

echo "==> ruff (style and import order, the whole tree)"
.venv/bin/ruff check . || status=1

echo "==> import-linter contracts (layers, compiler/shim independence, pure transforms)"
.venv/bin/lint-imports setup.cfg || status=1

echo "==> settings annotations (code-annotations, Open edX's settings config)"
.venv/bin/code_annotations static_find_annotations --lint --no_report --source_path lc_modulestore/settings \
  --config_file "$("$PY" -c 'import code_annotations, os; print(os.path.join(os.path.dirname(code_annotations.__file__), "contrib", "config", "setting_annotations.yaml"))')" \
  >/dev/null || { echo "error: settings annotations fail code-annotations' lint" >&2; status=1; }

echo "==> migrations are complete"
LC_VAR_DIR="$ROOT/var/check" "$PY" manage.py makemigrations --check --dry-run lc_modulestore >/dev/null || {
  echo "error: models changed without a migration" >&2; status=1; }

export LC_REDIS_URL=${LC_REDIS_URL:-redis://127.0.0.1:${LC_REDIS_PORT:-6379}/0}
LC_VAR_DIR="$ROOT/var/test-sqlite" pytest_run "SQLite" --create-db "$@"
LC_VAR_DIR="$ROOT/var/test-mariadb" \
LC_DATABASE_URL="mysql://lcms:lcms@127.0.0.1:${LC_MDB_PORT:-3306}/lcms" \
  pytest_run "MariaDB 10.11" --create-db --ignore=tests/tutor "$@"  # the Tutor rendering tests use no database
exit $status
