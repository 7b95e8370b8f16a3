# fedimage: one-line targets. `make run` starts the dashboard, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: install run demo test lint format check-deploy bench clean

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(BIN)/.installed  ## create .venv with the pinned dependencies

run: install  ## web + Celery worker + beat on http://127.0.0.1:$(PORT) (SQLite and a filesystem broker unless DATABASE_URL/REDIS_URL are set)
	DEBUG=$${DEBUG-1} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG-1} $(BIN)/python manage.py load_initiative
	DEBUG=$${DEBUG-1} PATH="$(abspath $(BIN)):$$PATH" exec $(BIN)/honcho start --port $(PORT)

demo: install  ## add sample blockers and history; demo users demo-lead / demo-stakeholder, password "demo"
	DEBUG=$${DEBUG-1} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG-1} $(BIN)/python manage.py load_initiative
	DEBUG=$${DEBUG-1} $(BIN)/python manage.py seed_demo --password demo

test: install  ## the whole suite against PostgreSQL, Redis, a real registry and Chromium on 127.0.0.1
	$(BIN)/pytest

lint: install  ## ruff, mypy, import layers (import-linter), and models in step with migrations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install  ## benchmarks: each prints its figures
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf var/
