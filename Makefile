# `make test` and `make demo` install what they need first; a second run installs nothing.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The npm packages of the local tus server (tools/tus), installed with the venv's npm.
TUS    := tools/tus
TUS_STAMP := $(TUS)/node_modules/.installed
# The npm packages of the reference receiver (deploy/receiver), for its tests and bench.
RECEIVER := deploy/receiver
RECEIVER_STAMP := $(RECEIVER)/node_modules/.installed
PYTHON ?= python3

.PHONY: venv test lint demo bench i18n screenshots clean

venv: $(STAMP) $(TUS_STAMP) $(RECEIVER_STAMP)

$(STAMP): pyproject.toml deploy/dev-deps.sh
	./deploy/dev-deps.sh
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# After the venv (its npm), but a change to pyproject.toml alone does not re-install them.
# npm ci empties node_modules first, so the stamp inside it goes with a failed install.
$(TUS_STAMP): $(TUS)/package.json $(TUS)/package-lock.json | $(STAMP)
	cd $(TUS) && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" npm ci --no-audit --no-fund
	touch $(TUS_STAMP)

$(RECEIVER_STAMP): $(RECEIVER)/package.json $(RECEIVER)/package-lock.json | $(STAMP)
	cd $(RECEIVER) && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" npm ci --no-audit --no-fund
	touch $(RECEIVER_STAMP)

lint: venv
	$(VENV)/bin/ruff check booth tests bench tools
	$(VENV)/bin/ruff format --check booth tests bench tools
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

# The venv's bin first: its node runs the tus server (tools/tus) of the upload tests.
test: lint
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy \
		$(VENV)/bin/pytest -q

# booth demo in a window, with the local tus server (tools/demo.py) receiving its takes.
demo: venv
	$(PY) -m tools.demo --config config/demo.toml

bench: venv
	$(PY) -m bench

# The README's screenshots, made by the simulator (Swedish 800x480, English 1920x1080).
screenshots: venv
	./docs/screens/make.sh

# Recompile the translation catalogs after editing a .po file.
i18n:
	for po in booth/locale/*/LC_MESSAGES/booth.po; do msgfmt -o $${po%.po}.mo $$po; done

clean:
	rm -rf $(VENV) $(TUS)/node_modules $(RECEIVER)/node_modules build *.egg-info
