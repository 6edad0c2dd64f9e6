#!/bin/sh
# `make run`'s last step: the development server and the background worker (which sends
# e-mail) together. Ctrl-C stops both.
set -eu
PY=${PY:-.venv/bin/python}
# No autoreload for the worker: the reloader's child would outlive a stopped parent.
"$PY" manage.py db_worker --no-reload --queue-name '*' &
WORKER=$!
trap 'kill -TERM "$WORKER" 2>/dev/null || true; wait "$WORKER" 2>/dev/null || true' EXIT INT TERM
"$PY" manage.py runserver 127.0.0.1:8000
