#!/usr/bin/env bash
# Print the path of a working Python 3.12 interpreter, or fail with a clear message.
# pyenv machines default to 3.11, where a bare `python3.12` shim refuses to run;
# asking pyenv for an installed 3.12.x by name works.
set -euo pipefail
try() { "$@" -c 'import sys; assert sys.version_info[:2] == (3, 12); print(sys.executable)' 2>/dev/null; }
if [ -n "${LC_PYTHON:-}" ] && try "$LC_PYTHON"; then exit 0; fi
if command -v pyenv >/dev/null 2>&1; then
  for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.12(\.[0-9]+)?$' | sort -V -r); do
    PYENV_VERSION="$v" try python3.12 && exit 0
    try "$(pyenv root)/versions/$v/bin/python3.12" && exit 0
  done
fi
try python3.12 && exit 0
try /usr/bin/python3.12 && exit 0
echo "error: lc-modulestore needs Python 3.12 (openedx-core 1.15.2 requires it) and none was found." >&2
echo "       Install one (e.g. 'pyenv install 3.12') or point LC_PYTHON at a python3.12 binary." >&2
exit 1
