#!/usr/bin/env bash
# Prints the path of a CPython X.Y interpreter (devtools/find_python.sh 3.13), or fails saying how to get one:
# pythonX.Y on PATH when it runs (a pyenv shim for a version not activated does not), else the newest
# pyenv-installed X.Y.*. The Makefile builds the runtime's venv and CI the suite's venvs with it.
set -euo pipefail
want=${1:?usage: find_python.sh X.Y}
works() { "$1" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$want'.split('.'))))" 2>/dev/null; }
if found=$(command -v "python$want" 2>/dev/null) && works "$found"; then
  echo "$found"
  exit 0
fi
for candidate in $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$want".*/bin/"python$want" 2>/dev/null | sort -V -r); do
  if works "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done
echo "no Python $want here: install it (pyenv install $want, or your system's python$want package)," \
  "or name one with RUNTIME_PYTHON=/path/to/python$want" >&2
exit 1
