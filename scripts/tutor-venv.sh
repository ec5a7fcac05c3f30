#!/usr/bin/env bash
# Create .venv-tutor once (Tutor 22 + this checkout's tutor-contrib-lc-modulestore, editable) for tests/tutor.
# Reused while tutor-contrib-lc-modulestore/pyproject.toml is unchanged; `make test` calls it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TUTOR_VERSION=22.0.3
VENV=.venv-tutor
STAMP="$VENV/.installed-$(cat tutor-contrib-lc-modulestore/pyproject.toml | sha1sum | cut -c1-12)-$TUTOR_VERSION"
[ -f "$STAMP" ] && exit 0
echo "==> creating $VENV (tutor==$TUTOR_VERSION and the plugin, for tests/tutor)"
PYTHON=$(scripts/find-python.sh)
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
quiet() { "$@" 2> >(grep -v "^WARNING: Location" >&2); }  # pip's notes about unused local indexes
quiet "$VENV/bin/python" -m pip install -q --upgrade pip
quiet "$VENV/bin/python" -m pip install -q "tutor==$TUTOR_VERSION" -e ./tutor-contrib-lc-modulestore
touch "$STAMP"
