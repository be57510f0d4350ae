# `make test` and `make demo` install what they need first; a second run installs nothing.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTHON ?= python3

.PHONY: venv test lint demo bench i18n screenshots clean

venv: $(STAMP)

$(STAMP): pyproject.toml deploy/dev-deps.sh
	./deploy/dev-deps.sh
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

lint: venv
	$(VENV)/bin/ruff check booth tests bench
	$(VENV)/bin/ruff format --check booth tests bench
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

# The venv's bin first: its node and npm run the tus server of the upload tests.
test: lint
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy \
		$(VENV)/bin/pytest -q

demo: venv
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/booth demo --config config/demo.toml

bench: venv
	$(PY) -m bench

# The README's screenshots, made by the simulator (Swedish 800x480, English 1920x1080).
screenshots: venv
	./docs/screens/make.sh

# Recompile the translation catalogs after editing a .po file.
i18n:
	for po in booth/locale/*/LC_MESSAGES/booth.po; do msgfmt -o $${po%.po}.mo $$po; done

clean:
	rm -rf $(VENV) build *.egg-info
