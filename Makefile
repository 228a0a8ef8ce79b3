# imr-extract: set up, run, test and benchmark.
#
#   make test          create .venv if needed, install, run the whole test suite
#   make run           convert corpus/ into out/ (fails only on a usage error or crash, exit code >= 2)
#   make bench         print the speed/memory figures (bench/run.py; BENCH_ARGS=--quick for a short run)
#   make holdout       convert and score the held-out letters (holdout/: never used by the tests or tuning)
#   make lint          ruff and mypy on imr_extract/
#   make clean         remove outputs and caches;  make distclean  also removes .venv
#
# Everything is overridable on the command line, e.g. `make test PYTHON=python3.12 PYTEST_ARGS=-x`.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORPUS ?= corpus
OUT ?= out
PYTEST_ARGS ?= -q
BENCH_ARGS ?=
# Browser-based tests (chart export) need Debian's chromium; `make test` installs it when missing.
CHROMIUM ?= /usr/bin/chromium

HOLDOUT ?= holdout

.PHONY: all venv install run test bench holdout lint chromium clean distclean

all: test

venv install: $(STAMP)

# Re-install only when pyproject.toml changed (or the venv is new).
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

# Exit code 1 only means some inputs became rows in out/errors.csv; 2 is a usage error, 3 a failed run
# (a full disk), 130 an interrupt: make run fails on all of those.
run: $(STAMP)
	@$(BIN)/imr-extract run $(CORPUS) --out $(OUT); rc=$$?; \
	if [ $$rc -eq 1 ]; then echo "make run: some inputs became error rows, see $(OUT)/errors.csv" >&2; fi; \
	test $$rc -le 1

test: $(STAMP) chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check imr_extract
	$(BIN)/mypy imr_extract

bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Every set under holdout/ (letters/ + expected/), converted into out-holdout/<set> and scored.
holdout: $(STAMP)
	@for set in $(HOLDOUT)/*/; do name=$$(basename $$set); \
	  $(BIN)/imr-extract run $$set/letters --out out-holdout/$$name --fresh --quiet; rc=$$?; test $$rc -le 1 || exit $$rc; \
	  echo "== holdout $$name"; $(BIN)/imr-extract eval out-holdout/$$name --gold $$set/expected || exit $$?; \
	done

# Installs chromium when it is missing: as root directly, otherwise through passwordless sudo.
# Without either, say so and go on: the browser tests then skip with the same reason.
chromium:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	if [ "$$(id -u)" -eq 0 ]; then SUDO=; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=sudo; \
	else echo "make: $(CHROMIUM) is missing and cannot be installed (not root, no passwordless sudo);" \
	          "browser tests will be skipped. Install it with: apt-get install chromium" >&2; exit 0; fi; \
	echo "make: installing chromium (needed by the browser tests)" >&2; \
	$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium

clean:
	rm -rf $(OUT) out-holdout bench/.cache tests/artifacts .pytest_cache .hypothesis
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
