# The README's two commands: `make run` (the scenario suite against the simulated device, writing a
# report under reports/<run>/) and `make test` (the project's own tests). Each first runs `make deps` (the
# Debian packages, scripts/deps.sh) and creates .venv on first use.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
RUN_ID := $(shell date -u +%Y%m%dT%H%M%SZ)
RUN_DIR := reports/$(RUN_ID)
PYTEST_ARGS ?=
# The simulator's timers (60 s ring timeout, 20 s join timeout...) run at this scale in `make run`.
SIM_TIME_SCALE ?= 0.1
# Each call's traffic: the simulated device is rooted, so its own tcpdump captures one pcap per call.
NET_CAPTURE ?= device

.PHONY: deps run test lint bench clean

# adb, tshark and tcpdump, chromium, a CJK font and python3-venv: installed with apt-get when root or passwordless
# sudo allows, else listed with the command that installs them, and make stops. Quick when all are there.
deps:
	PYTHON=$(PYTHON) scripts/deps.sh

# deps first (the venv needs python3-venv), without making .venv out of date each time
$(STAMP): pyproject.toml constraints.txt | deps
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# The plugin creates the run directory and, once the run has ended, points reports/latest at it.
run: deps $(STAMP)
	$(PY) -m pytest scenarios -p no:cacheprovider --run-dir $(RUN_DIR) --sim-time-scale $(SIM_TIME_SCALE) --net-capture $(NET_CAPTURE) --html=$(RUN_DIR)/report.html --self-contained-html \
		--junitxml=$(RUN_DIR)/junit.xml $(PYTEST_ARGS)

test: deps $(STAMP) lint
	$(PY) -m pytest tests -p no:cacheprovider --durations=15 $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
