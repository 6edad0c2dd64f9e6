#!/usr/bin/env bash
# The README's test command (`make test`): set everything up and run every check.
#   1. system packages (Chromium, pango, PostgreSQL) - installed as root, else a clear error
#   2. virtualenv with the pinned requirements
#   3. ruff lint and format, mypy, migrations consistent, production settings pass
#      check --deploy
#   4. the whole pytest suite on SQLite (but the PostgreSQL-only tests), then on PostgreSQL
#      what can behave differently there (markers postgres, db_dependent and smoke; see
#      tests/conftest.py): the server in DATABASE_URL if it names one, otherwise a
#      throwaway cluster started here and stopped on exit.
# Hypothesis runs its quick `dev` profile unless HYPOTHESIS_PROFILE says otherwise (CI: `ci`).
# pytest runs on every core (pytest-xdist, one worker a core); PYTEST_WORKERS=0 runs in one
# process, e.g. to debug.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
export HYPOTHESIS_PROFILE=${HYPOTHESIS_PROFILE:-dev}
# Bytecode caches on, whatever the shell says: without them every pytest process (each
# xdist worker, both runs) rewrites the asserts of every test module again (~15 s each),
# and every `manage.py` a test starts compiles the project again.
unset PYTHONDONTWRITEBYTECODE
./scripts/system-packages.sh
make --no-print-directory venv PYTHON="$PYTHON"
PY=.venv/bin/python
PY=$PY ./scripts/messages.sh
WORKERS=${PYTEST_WORKERS:-auto}

echo "== ruff"
$PY -m ruff check .
$PY -m ruff format --check .

echo "== mypy (django-stubs; configuration in pyproject.toml)"
$PY -m mypy

echo "== migrations are consistent with the models"
env -u DATABASE_URL $PY manage.py makemigrations --check --dry-run

echo "== production settings pass check --deploy"
DEBUG=0 SECRET_KEY="check-deploy-$(head -c 48 /dev/urandom | base64 | tr -d '/+=')" \
  ALLOWED_HOSTS=preconditions.example.org SITE_URL=https://preconditions.example.org \
  $PY manage.py check --deploy --fail-level WARNING

echo "== tests on SQLite"
env -u DATABASE_URL $PY -m pytest -n "$WORKERS" --dist worksteal -m "not postgres" "$@"

pg_dir=""
# An `if`, not `&&`: the trap's last status would otherwise become the script's.
cleanup() { if [ -n "$pg_dir" ]; then ./scripts/postgres.sh stop "$pg_dir"; fi; }
trap cleanup EXIT
database_url=${DATABASE_URL:-}
if [[ "$database_url" != postgres* ]]; then
  pg_dir=$(mktemp -d /tmp/preconditions-pg.XXXXXX)
  database_url=$(./scripts/postgres.sh start "$pg_dir" "${PG_TEST_PORT:-5439}" | tail -n 1)
fi
echo "== tests on PostgreSQL ($database_url): database-dependent tests and a smoke of the rest"
DATABASE_URL="$database_url" $PY -m pytest -n "$WORKERS" --dist worksteal -m "postgres or db_dependent or smoke" "$@"
