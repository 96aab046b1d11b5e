# Live Predict — two commands: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || echo python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO   ?= models/shapes.keras
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: run test lint setup sysdeps bench soak package package-test clean models

setup: $(STAMP) sysdeps

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip >/dev/null
	$(PY) -m pip install -q -e '.[test,cluster]'  # cluster: Ray, for the classify --ray tests
	$(PY) -m pip install -q --no-deps 'tf_keras==2.21.*'  # Keras 2 for Keras-2 files; see pyproject.toml
	@touch $(STAMP)

sysdeps:
	@packaging/linux/system-deps.sh

run: setup
	$(VENV)/bin/livepredict $(DEMO)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy  # core/ and inference/ (pyproject.toml [tool.mypy])

test: setup lint
	$(PY) -m pytest -q

# Benchmarks print ratios measured in one run; the window ones run on a private X server.
XVFB := xvfb-run -a -s "-screen 0 1280x800x24"

bench: setup
	$(PY) bench/bench_engine.py
	$(PY) bench/bench_folders.py
	$(PY) bench/bench_generation.py
	$(PY) bench/bench_feed.py
	$(PY) bench/bench_evaluate.py
	$(PY) bench/bench_detect.py
	$(XVFB) $(PY) bench/bench_live.py all
	$(XVFB) $(PY) bench/bench_compare_live.py
	$(XVFB) $(PY) bench/bench_explain.py
	$(XVFB) $(PY) bench/bench_startup.py
	$(XVFB) $(PY) bench/bench_classify_tab.py

# Long run (not part of `make test`): MINUTES=120 by default, as the soak plan asks.
MINUTES ?= 120
soak: setup
	$(PY) bench/soak.py --minutes $(MINUTES)

models: setup
	$(PY) models/train/build_all.py

# Frozen app (PyInstaller onedir) in dist/livepredict; rebuilt only when its inputs change.
PKG_STAMP    := $(VENV)/.installed-package
BUNDLE_STAMP := dist/livepredict/BUILD-INFO.txt
BUNDLE_INPUTS = pyproject.toml $(shell find desktop/livepredict models resources examples \
	packaging/livepredict.spec packaging/launcher.py packaging/build.sh packaging/icons packaging/linux \
	-type f -not -path '*/__pycache__/*' -not -path 'models/train/*' 2>/dev/null)

$(PKG_STAMP): $(STAMP)
	$(PY) -m pip install -q -e '.[test,cluster,package]'
	@touch $(PKG_STAMP)

$(BUNDLE_STAMP): $(BUNDLE_INPUTS) | $(PKG_STAMP)
	VENV=$(VENV) packaging/build.sh

package: setup $(PKG_STAMP) $(BUNDLE_STAMP)

package-test: package
	$(PY) packaging/smoke_test.py

clean:
	rm -rf build dist tests/artifacts
