# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test venv lint format benchmark messages catalogue

run: $(VENV)/.runtime-installed
	PY=$(PY) ./scripts/messages.sh --optional
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py loaddata framework
	$(PY) manage.py seed_demo
	PY=$(PY) ./scripts/run.sh

test:
	PYTHON=$(PYTHON) ./scripts/test.sh

$(VENV)/bin/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed, found " + sys.version'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

venv: $(VENV)/.dev-installed

# Compile the translation catalogues (make run and make test do it too).
messages: $(VENV)/.runtime-installed
	PY=$(PY) ./scripts/messages.sh

# After changing marked text or the framework fixture: update the Welsh catalogue's
# entries (then translate the new ones; docs/i18n.md).
catalogue: $(VENV)/.dev-installed
	$(PY) manage.py framework_messages
	$(PY) manage.py makemessages -l cy --no-obsolete --ignore 'frontend/*' --ignore 'bench/*' --ignore 'tests/*' --ignore 'demo/*'

lint: $(VENV)/.dev-installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: $(VENV)/.dev-installed
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

benchmark: $(VENV)/.dev-installed
	$(PY) -m bench $(BENCH_ARGS)
