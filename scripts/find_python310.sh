#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter: $PYTHON310, python3.10 on PATH, or pyenv's 3.10.x.
set -euo pipefail
is_310() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; }
if [ -n "${PYTHON310:-}" ]; then
  if is_310 "$PYTHON310"; then echo "$PYTHON310"; exit 0; fi
  echo "PYTHON310=$PYTHON310 is not a Python 3.10 interpreter" >&2; exit 1
fi
if command -v python3.10 >/dev/null 2>&1 && is_310 "$(command -v python3.10)"; then
  command -v python3.10; exit 0
fi
if command -v pyenv >/dev/null 2>&1; then
  for candidate in "$(pyenv root)"/versions/3.10*/bin/python3.10; do
    if [ -x "$candidate" ] && is_310 "$candidate"; then echo "$candidate"; exit 0; fi
  done
fi
cat >&2 <<'MSG'
cxqa needs Python 3.10 (Rasa Open Source 3.6 does not run on 3.11+), and none was found.
Install it (e.g. `pyenv install 3.10.13`, or your distribution's python3.10 package), or point to one:
  make PYTHON310=/path/to/python3.10 ...
MSG
exit 1
