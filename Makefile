# Tollgate developer commands. `make run` and `make test` are the whole quick start.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1:8000

.PHONY: install run test test-security coverage lint migrations-check schema worker beat cluster-smoke bench bench-ingest bench-gateway bench-prs bench-packets clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Serve http://127.0.0.1:8000 on SQLite with eager tasks and the demo users.
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver $(HOST)

## Run the whole suite (SQLite and eager tasks unless DATABASE_URL / CELERY_BROKER_URL say otherwise).
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

## The security suite alone (tests/security/): the role x endpoint x method matrix, the tamper
## cases (PostgreSQL for the triggers), sign-in lockout, malformed input and the object rules.
test-security: install
	$(BIN)/pytest tests/security $(PYTEST_ARGS)

## The suite with branch coverage of governance/ and vendors/ (what CI prints).
coverage: install
	$(BIN)/pytest --cov --cov-report=term $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run

schema: install
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file var/openapi.yml

## A Celery worker and beat for a PostgreSQL + Redis setup (see README).
worker: install
	$(BIN)/celery -A governance worker --loglevel=INFO

beat: install
	$(BIN)/celery -A governance beat --loglevel=INFO

## Two web nodes, two workers and beat under Locust load while a worker and a node are killed;
## needs PostgreSQL, Redis and an S3-compatible server (SMOKE_S3_ENDPOINT); see deploy/README.md.
cluster-smoke: install
	$(BIN)/python deploy/smoke/cluster_smoke.py

## Benchmarks (ratios, not timings; see bench/README.md): the scale suite, P1 to P3.
bench: install
	$(BIN)/python bench/scale.py --size $(or $(SIZE),large)

## P1 alone: measurement ingest via the API against PostgreSQL COPY.
bench-ingest: install
	$(BIN)/python bench/ingest.py --rows $(or $(ROWS),10000)

## P5: a LiteLLM spend-log CSV through import_gateway_logs against PostgreSQL COPY.
bench-gateway: install
	$(BIN)/python bench/gateway.py --rows $(or $(ROWS),1000000)

## P6: pull requests with their reviews through import_pull_requests against COPY.
bench-prs: install
	$(BIN)/python bench/prs.py --prs $(or $(PRS),100000)

## A ~20-page quarterly-review packet through the render service against WeasyPrint on the
## same HTML (KIND=assessment for a vendor assessment; ITEMS= pilots or checklist items).
bench-packets: install
	$(BIN)/python bench/packets.py $(if $(KIND),--kind $(KIND)) $(if $(ITEMS),--items $(ITEMS)) --repeat $(or $(REPEAT),3)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .coverage
