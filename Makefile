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

# A second venv of exactly deploy/constraints.txt, the versions a booth runs (Raspberry Pi OS
# Bookworm's PyAV, Debian 12's numpy): tests/test_constraints.py runs booth's tests in it.
PINNED := .venv-pinned
PINNED_STAMP := $(PINNED)/.installed
# libcamera with its virtual camera and Python bindings, for the real-picamera2 tests
# (tests/test_picamera2_virtual.py): built once per libcamera version and patch, cached outside
# the source tree (tools/libcamera/build.sh); LIBCAMERA_PREFIX names where it is.
LIBCAMERA_CACHE ?= /var/cache/booth
LIBCAMERA_PREFIX := $(VENV)/libcamera-prefix
# make arm64-check: deploy/install.sh on an emulated arm64 Debian 12 (tools/arm64_check.py).
ARM64_WORK ?= /var/tmp/booth-arm64-check
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: venv test test-fast lint demo bench i18n screenshots clean arm64-check libcamera

venv: $(STAMP) $(TUS_STAMP) $(RECEIVER_STAMP) $(PINNED_STAMP)

$(STAMP): pyproject.toml deploy/dev-deps.sh
	./deploy/dev-deps.sh
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

$(PINNED_STAMP): pyproject.toml deploy/constraints.txt | $(STAMP)
	test -x $(PINNED)/bin/python || $(PYTHON) -m venv $(PINNED)
	PIP_CONSTRAINT=$(CURDIR)/deploy/constraints.txt $(PINNED)/bin/pip install -q -e . \
		pytest==9.2.0 pytest-timeout==2.4.0
	touch $(PINNED_STAMP)

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

# Every run: a build cached for this script, patch and configuration is used without asking the
# archive (a second); otherwise libcamera is fetched and built (about 7 minutes on 2 cores).
libcamera: venv
	BOOTH_LIBCAMERA_CACHE=$(LIBCAMERA_CACHE) nice tools/libcamera/build.sh > $(LIBCAMERA_PREFIX).tmp
	tail -n 1 $(LIBCAMERA_PREFIX).tmp > $(LIBCAMERA_PREFIX) && rm $(LIBCAMERA_PREFIX).tmp

# The venv's bin first: its node runs the tus server (tools/tus) of the upload tests.
test: lint libcamera
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy \
		$(VENV)/bin/pytest -q

# The quick loop while changing code (no lint): every test but the slow, deploy and
# external-service ones (pyproject's markers). `make test` stays the whole suite, lint first.
test-fast: venv
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy \
		$(VENV)/bin/pytest -q -m "not slow and not deploy and not external"

# booth demo in a window, with the local tus server (tools/demo.py) receiving its takes.
demo: venv
	$(PY) -m tools.demo --config config/demo.toml

bench: venv
	$(PY) -m bench

# The README's screenshots, made by the simulator (Swedish 800x480, English 1920x1080).
screenshots: venv
	./docs/screens/make.sh

# Heavy (about 40 minutes, README "An emulated install"): not part of make test. Needs root
# (debootstrap, chroot); works in ARM64_WORK, outside the source tree. ARM64_FLAGS=--reuse-base
# starts from the root an earlier run debootstrapped.
arm64-check:
	nice -n 10 $(SUDO) python3 tools/arm64_check.py --work $(ARM64_WORK) $(ARM64_FLAGS)

# Recompile the translation catalogs after editing a .po file.
i18n:
	for po in booth/locale/*/LC_MESSAGES/booth.po; do msgfmt -o $${po%.po}.mo $$po; done

clean:
	rm -rf $(VENV) $(PINNED) $(TUS)/node_modules $(RECEIVER)/node_modules build *.egg-info
