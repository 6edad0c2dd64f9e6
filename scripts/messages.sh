#!/usr/bin/env bash
# Compile the translation catalogues (locale/*/LC_MESSAGES/django.po -> .mo), so the
# compiled files never go stale: `make run` and `make test` call this, and the .mo files
# are not committed. Needs GNU gettext's msgfmt: installed here as root on Debian,
# otherwise a clear message: `make test` stops, `make run` (--optional) goes on in English.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}

if ! command -v msgfmt >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing gettext (msgfmt compiles the Welsh catalogue)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends gettext
  else
    echo "gettext is not installed, so the Welsh catalogue cannot be compiled and pages" >&2
    echo "will be in English only. Install it (sudo apt-get install gettext) and run again." >&2
    if [ "${1:-}" = "--optional" ]; then exit 0; fi
    exit 1
  fi
fi
"$PY" manage.py compilemessages --ignore .venv --ignore frontend -v 0
