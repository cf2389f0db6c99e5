# Every target builds/uses a local virtual environment in .venv, so a fresh clone needs only
# Python 3.11 and the package registries: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: venv demo test unit lint bench chaos clean browser signing-tools

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP) signing-tools
	@$(VENV)/bin/fwupdate demo

lint: $(STAMP)
	$(PY) -m ruff check fwupdate tests bench
	$(PY) -m mypy

# pytest exits 5 when it collects no test; that is not a failure of the suite.
# The suite runs on one worker per CPU (pytest-xdist), at most 4: `make unit TEST_WORKERS=0`
# runs it in one process.
TEST_WORKERS ?= $(shell $(PYTHON) -c "import os; print(min(4, len(os.sched_getaffinity(0))))")
unit: $(STAMP)
	@$(PY) -m pytest -n $(TEST_WORKERS); rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; rc=0; fi; exit $$rc

test: browser signing-tools lint unit

# The HTML report tests drive a headless chromium; install Debian's when missing and we may.
# A failed install is not fatal: those tests then skip and say why.
browser:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing chromium for the HTML report tests (apt-get)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	    >/dev/null 2>&1 || echo "chromium install failed: the browser tests will skip"; \
	else echo "no chromium and not root with apt-get: the browser tests will skip"; fi

# Signature tests sign with Debian's osslsigncode and gpg and verify with gpgv; the demo signs too.
# Installed when missing and we may; otherwise those tests skip and say why.
SIGNING_TOOLS := osslsigncode gpg gpgv gpgconf
signing-tools:
	@missing=""; for t in $(SIGNING_TOOLS); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing osslsigncode gnupg gpgv for the signature tests (apt-get)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq osslsigncode gnupg gpgv) \
	    >/dev/null 2>&1 || echo "signing tools install failed: the signature tests will skip"; \
	else echo "missing:$$missing and not root with apt-get: the signature tests will skip"; fi

bench: $(STAMP)
	$(PY) -m bench

# The randomized campaign (docs/guarantees.md): N seeded nights judged by fwupdate.check.
# `make chaos N=200 SEED=42`; without SEED a random seed is drawn and printed.
# INTENSITY=K (1-4) draws K times the faults and kills per night.
N    ?= 50
SEED ?=
INTENSITY ?= 1
chaos: $(STAMP)
	$(PY) -m fwupdate.chaos --nights $(N) $(if $(SEED),--seed $(SEED)) --intensity $(INTENSITY) --out chaos-out

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache chaos-out
