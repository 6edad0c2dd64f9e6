#!/usr/bin/env bash
# Make sure the system packages the test suite needs are present. As root on Debian, install
# them with apt-get; otherwise stop with a message naming what is missing. Never skip.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
# WeasyPrint (PDF reports) needs pango, harfbuzz-subset and a font.
ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so.0' || missing+=(libpango-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || missing+=(libpangoft2-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset.so.0' || missing+=(libharfbuzz-subset0)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
# The board paper's fonts: Noto covers the scripts evidence is written in (Arabic, Bengali,
# Gurmukhi, Tamil, Chinese...); without them those characters print as empty boxes.
[ -e /usr/share/fonts/truetype/noto/NotoSans-Regular.ttf ] || missing+=(fonts-noto-core)
[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing+=(fonts-noto-cjk)
# PostgreSQL: the suite runs against a real server as well as SQLite.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
# gettext: compiling and checking the translation catalogues (scripts/messages.sh).
command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
# wrk: the load generator of the benchmark (and of its smoke test).
command -v wrk >/dev/null 2>&1 || missing+=(wrk)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "The test suite needs these system packages, which are not installed: ${missing[*]}" >&2
  echo "Install them (on Debian/Ubuntu: sudo apt-get install ${missing[*]}) and run again." >&2
  exit 1
fi
