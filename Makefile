# lc-modulestore: the two set-up commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: demo test venv test-venv services-start services-stop clean

$(VENV)/bin/python:
	@PYTHON=$$(scripts/find-python.sh) && echo "==> creating $(VENV) with $$PYTHON" && "$$PYTHON" -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip 'setuptools<81'

$(STAMP): $(VENV)/bin/python pyproject.toml
	@echo "==> installing lc-modulestore and its dependencies"
	@$(PY) -m pip install -q -e '.[bench]'
	@touch $@

$(STAMP)-test: $(STAMP)
	@scripts/services.sh install
	@echo "==> installing test dependencies (mysqlclient, redis, pytest…)"
	@$(PY) -m pip install -q -e '.[dev,mysql,redis,bench]'
	@touch $@

venv: $(STAMP)
test-venv: $(STAMP)-test

## make demo: import, publish and compile a course on the embedded SQLite database, then read it as the LMS would.
demo: $(STAMP)
	@$(PY) manage.py migrate --no-input -v 0
	@$(PY) manage.py lc_demo $(DEMO_ARGS)
	@echo "==> the admin (courses, flags, verify runs, compile tasks): $(PY) manage.py createsuperuser, then"
	@echo "    $(PY) manage.py runserver --insecure   (or LC_DEBUG=1 $(PY) manage.py runserver) and open"
	@echo "    http://127.0.0.1:8000/admin/  (plain runserver with LC_DEBUG unset serves the admin without its CSS)"

## make test: install what the tests need (incl. .venv-tutor for tests/tutor), start MariaDB and Redis, run the
## suite on SQLite and on MariaDB.
test: $(STAMP)-test
	@scripts/tutor-venv.sh
	@scripts/services.sh start
	@scripts/run-tests.sh $(PYTEST_ARGS); rc=$$?; scripts/services.sh stop; exit $$rc

services-start:
	@scripts/services.sh start
services-stop:
	@scripts/services.sh stop

clean:
	rm -rf $(VENV) .venv-tutor var
