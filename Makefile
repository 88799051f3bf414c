# The two commands of the README:  make demo   and   make test
# Everything else here serves those two, or measures (bench-*).

VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PYTHON ?= python3

.PHONY: demo test install install-dev browsers lint bench-pages bench-sweep bench-export

# A stamp per extra: reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Migrates, seeds the demo data, then runs web + Celery worker with beat on
# http://127.0.0.1:$(PORT). Ctrl-C stops both.
demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "Starting web on http://127.0.0.1:$(PORT) and a Celery worker with beat (Ctrl-C stops both)"
	@bash -c 'trap "kill 0" EXIT; \
		$(VENV)/bin/celery -A servicedesk worker -B --concurrency 2 --loglevel INFO & \
		$(PY) manage.py runserver 127.0.0.1:$(PORT) --noreload'

# The whole suite. Uses DATABASE_URL when set (CI: PostgreSQL); tests needing
# PostgreSQL, Redis or Chromium skip loudly without them unless REQUIRE_SERVICES=1.
test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

# The deadline sweep against one bare SQL UPDATE of the same 100,000 rows, in a
# throw-away database next to the configured one (SQLite by default; PostgreSQL
# with DATABASE_URL). BENCH_ARGS="--tickets 200000 --overdue 20000" for a quick run.
bench-sweep: install
	$(PY) manage.py bench_sweep $(BENCH_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
