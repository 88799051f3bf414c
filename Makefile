# The two commands of the README:  make demo   and   make test
# Everything else here serves those two, or measures (bench-*).

VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PYTHON ?= python3

.PHONY: demo demo-serve test install install-dev browsers lint bench-pages bench-sweep bench-export \
	bench-notifications bench-load audit bench-webhooks bench-scorecard

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

# The demo runs like production would, DEBUG off (the product's own error
# pages, not Django's debug pages), but over plain http on 127.0.0.1 and with a
# random key of its own, kept under var/ and never used anywhere else.
VAR_DIR ?= var
DEMO_KEY := $(VAR_DIR)/demo-secret-key
DEMO_ENV = DEBUG=false ALLOW_INSECURE_HTTP=true WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true SECRET_KEY="$$(cat $(DEMO_KEY))" \
	PORT=$(PORT) PATH="$(CURDIR)/$(VENV)/bin:$$PATH"

$(DEMO_KEY):
	@mkdir -p $(VAR_DIR)
	@$(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

# Migrates, seeds the demo data, then runs web + Celery worker with beat on
# http://127.0.0.1:$(PORT). Ctrl-C stops all of them.
demo: install $(DEMO_KEY)
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	$(DEMO_ENV) $(PY) manage.py seed_demo
	@$(MAKE) --no-print-directory demo-serve

# honcho runs the Procfile: each process in a session of its own (so a
# terminal's Ctrl-C reaches only honcho), and on Ctrl-C it sends SIGTERM to
# every process group, then SIGKILL to what is left after 5 s: web, worker,
# its pool and the embedded beat all end, nothing is left behind.
demo-serve: $(DEMO_KEY)
	@$(DEMO_ENV) $(PY) manage.py collectstatic --noinput -v 0
	@echo "Starting web on http://127.0.0.1:$(PORT) and a Celery worker with beat (Ctrl-C stops all)"
	@$(DEMO_ENV) $(VENV)/bin/honcho --no-colour start --procfile Procfile --app-root . --port $(PORT)

# The whole suite. Uses DATABASE_URL when set (CI: PostgreSQL); tests needing
# PostgreSQL, Redis or Chromium skip loudly without them unless REQUIRE_SERVICES=1.
# TEST_WORKERS processes (pytest-xdist), a file's tests in one of them: many
# tests wait on a browser, a worker or a server process, so two processes keep
# two cores busy. TEST_WORKERS=0 runs everything in this one process.
TEST_WORKERS ?= 2
test: install-dev
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The deadline sweep against one bare SQL UPDATE of the same 100,000 rows, in a
# throw-away database next to the configured one (SQLite by default; PostgreSQL
# with DATABASE_URL): 3 interleaved rounds, the median ratio is the verdict.
# BENCH_ARGS="--tickets 200000 --overdue 20000 --rounds 1" for a quick run;
# "--keep" then "--reuse" to seed 1,000,000 tickets once for several runs.
bench-sweep: install
	$(PY) manage.py bench_sweep $(BENCH_ARGS)

# Webhook delivery through a Celery worker (concurrency 4) against a bare httpx
# loop of the same concurrency, 10,000 events to a receiver on 127.0.0.1 (hence
# WEBHOOK_ALLOW_PRIVATE_ADDRESSES). Uses DATABASE_URL and the broker (REDIS_URL).
bench-webhooks: install
	WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true $(PY) manage.py migrate --noinput -v 0
	WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true $(PY) manage.py bench_webhooks $(BENCH_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .

# Median server time of the ticket pages and of the list API at 1,000,000 tickets,
# and an ERP sync of 50,000 changed tickets through the API against its floor. Uses a database of
# its own (seeded once, reused by later runs): var/bench.sqlite3 unless
# DATABASE_URL is set, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench
BENCH_DATABASE_URL ?= $(or $(DATABASE_URL),sqlite:///$(CURDIR)/var/bench.sqlite3)
BENCH_PAGES_ARGS ?= --tickets 1000000
bench-pages: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench_pages $(BENCH_PAGES_ARGS)
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench_api $(BENCH_API_ARGS)

# The scorecard's pages and API (merchant1's shop, the ops ranking, 90 days) and
# a refresh over one day of 100,000 transitions, at 1,000,000 tickets. The same
# database as bench-pages (seeded once, reused); it gains the transitions.
BENCH_SCORECARD_ARGS ?= --tickets 1000000
bench-scorecard: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench_scorecard $(BENCH_SCORECARD_ARGS)

# Unread count with many notifications, and notify_many against a per-ticket loop.
# Adds bench users and notifications to the configured database (DATABASE_URL).
bench-notifications: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py bench_notifications $(BENCH_ARGS)

# The export benchmark (exports/management/commands/bench_export.py): our task
# against bare openpyxl and django-import-export. django-import-export is a
# contender, not a dependency: it is installed only into this separate
# virtualenv. The database: DATABASE_URL when set; else a local PostgreSQL
# (production's database) when one answers, in its own database
# servicedesk_bench_export; else a SQLite file. The 50,000 benchmark tickets are
# created on first use. 7 interleaved rounds; BENCH_ARGS="--only floor --only task"
# for the time target alone, "--rows 2000 --repeat 1" for a quick look.
BENCH_VENV ?= var/bench-venv
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_PG_URL := postgres://postgres@127.0.0.1:5432/servicedesk_bench_export
BENCH_EXPORT_DATABASE_URL ?= $(or $(DATABASE_URL),$(if $(shell pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && echo up),$(BENCH_PG_URL),sqlite:///$(CURDIR)/var/bench-export.sqlite3))

$(BENCH_VENV)/.installed: pyproject.toml
	test -x $(BENCH_PY) || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install -q --upgrade pip
	$(BENCH_PY) -m pip install -q -e . 'django-import-export>=4.3,<5' 'tablib[xlsx]>=3.6'
	touch $@

bench-export: $(BENCH_VENV)/.installed
	@if [ "$(BENCH_EXPORT_DATABASE_URL)" = "$(BENCH_PG_URL)" ]; then \
		createdb -h 127.0.0.1 -U postgres servicedesk_bench_export 2>/dev/null || true; fi
	DATABASE_URL=$(BENCH_EXPORT_DATABASE_URL) $(BENCH_PY) manage.py migrate --noinput -v 0
	DATABASE_URL=$(BENCH_EXPORT_DATABASE_URL) $(BENCH_PY) manage.py bench_export $(BENCH_ARGS)

# Requests/s and latency of gunicorn (gunicorn.conf.py, DEBUG off) under 8, 32
# and 64 simultaneous users, each a real account logged in, against a floor
# measured in the same run (tickets/management/commands/bench_load.py). locust
# drives the load from a virtualenv of its own: a tool, not a dependency.
# The database is DATABASE_URL (PostgreSQL with 1,000,000 tickets is the
# benchmark; it is seeded once when it holds fewer). A smoke run:
# BENCH_LOAD_ARGS="--users 2 --seconds 2 --tickets 100".
LOAD_VENV ?= var/bench-load-venv
BENCH_LOAD_ARGS ?=

$(LOAD_VENV)/.installed:
	test -x $(LOAD_VENV)/bin/python || $(PYTHON) -m venv $(LOAD_VENV)
	$(LOAD_VENV)/bin/python -m pip install -q 'locust>=2.37,<3'
	touch $@

bench-load: install $(LOAD_VENV)/.installed
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py bench_load --locust $(LOAD_VENV)/bin/locust $(BENCH_LOAD_ARGS)

# Lighthouse (accessibility, best practices, performance, SEO) over the demo's
# list, detail and review pages as agent1, desktop and mobile: scores per page,
# then PASS/FAIL per target. Lighthouse 12.2.3 is the last line that runs on
# Node 20; it lives in var/audit/ with its own lock, Debian's Chromium drives it.
# Its own SQLite database under var/audit/, static files collected like the demo's; the server runs with
# the demo's settings (DEBUG off). AUDIT_ARGS="--pages list --form-factors desktop".
AUDIT_DIR := $(VAR_DIR)/audit
AUDIT_ENV = $(DEMO_ENV) DATABASE_URL=sqlite:///$(CURDIR)/$(AUDIT_DIR)/audit.sqlite3 \
	CHROME_PATH=$${CHROME_PATH:-/usr/bin/chromium}

$(AUDIT_DIR)/node_modules/.bin/lighthouse:
	@mkdir -p $(AUDIT_DIR)
	@test -f $(AUDIT_DIR)/package.json || echo '{"name": "servicedesk-audit", "private": true}' > $(AUDIT_DIR)/package.json
	cd $(AUDIT_DIR) && npm install --no-audit --no-fund --save-exact lighthouse@12.2.3

audit: install $(DEMO_KEY) $(AUDIT_DIR)/node_modules/.bin/lighthouse
	@$(AUDIT_ENV) $(PY) manage.py migrate --noinput -v 0
	@$(AUDIT_ENV) $(PY) manage.py seed_demo > /dev/null
	@$(AUDIT_ENV) $(PY) manage.py collectstatic --noinput -v 0
	@$(AUDIT_ENV) $(PY) manage.py audit_pages $(AUDIT_ARGS)
