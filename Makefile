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

demo: install  ## add sample data, marked as such (`manage.py seed_demo --remove` removes it); users demo-lead / demo-stakeholder, password "demo"
	DEBUG=$${DEBUG-1} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG-1} $(BIN)/python manage.py load_initiative
	DEBUG=$${DEBUG-1} $(BIN)/python manage.py seed_demo --password demo

test: install  ## the whole suite against PostgreSQL, Redis, a real registry and Chromium on 127.0.0.1
	$(BIN)/pytest

lint: install  ## ruff, mypy, import layers (import-linter), dead code (vulture), module sizes, migrations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	@# No module imports another's private (_underscored) names.
	! grep -rnE --include='*.py' '^\s*from (fedimage|trackers)\S* import ([^#]*[ ,(])?_[A-Za-z]' \
	  fedimage trackers | grep -v ' as _'
	@# Pages, forms, the API, template tags, the agenda, minutes, charts, feeds, reports and
	@# webhooks read through selectors (a FilterSet method may narrow the selector's `queryset`;
	@# a template library registers its filters).
	! find fedimage trackers -not -path '*/migrations/*' \( -name views.py -o -name feeds.py \
	  -o -name forms.py -o -path '*/api/*.py' \
	  -o -name charts.py -o -name reports.py -o -name agenda.py -o -name minutes.py \
	  -o -name webhooks.py -o -path '*/templatetags/*.py' \) -print0 \
	  | xargs -0r grep -nE '\.objects\b|\.history\.|get_object_or_404\(|\.(filter|exclude|values_list|order_by|annotate|aggregate|select_related|prefetch_related|distinct)\(' \
	  | grep -vE '\b(queryset|register)\.filter\('
	@# vulture must run (a missing binary would make the grep below pass silently).
	test -x $(BIN)/vulture
	! $(BIN)/vulture | grep -Ev "unused (variable|attribute|property) '"
	@# No module of an app over 500 lines (settings.py is the project's one settings module).
	@find fedimage trackers -name '*.py' -not -path '*/migrations/*' -not -path fedimage/settings.py \
	  | xargs wc -l \
	  | awk '$$2 != "total" && $$1 > 500 \
	    {print "over 500 lines: " $$2 " (" $$1 ")"; bad = 1} END {exit bad}'
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install  ## benchmarks: each prints its figures
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf var/
