# coursekit: every command sets up .venv first (idempotent: a second run reuses it).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# JupyterLab refuses to run as root without this flag (CI and this machine run as root).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
NBVAL := --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=120

# Tests and lesson runs use one BLAS thread per process: the suite runs two pytest workers on
# two cores, and small matrix products oversubscribed across threads run many times slower.
test notebooks: export OPENBLAS_NUM_THREADS = 1
test notebooks: export OMP_NUM_THREADS = 1
test notebooks: export MKL_NUM_THREADS = 1

.PHONY: setup lab test lint notebooks exercises present site bench clean axe

setup: $(STAMP)

# The instructor's checkout (it has solutions/) also installs the autograder (nbgrader); a
# student release does not, so students never see nbgrader's menus.
COMMA := ,
EXTRAS := dev$(if $(wildcard solutions),$(COMMA)instructor,)

# pip's own progress (one line per package, download bars) so the first run is never silent.
$(STAMP): pyproject.toml
	@echo "[1/3] creating $(VENV) (first run only)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "[2/3] installing coursekit[$(EXTRAS)] into $(VENV): about 2 minutes the first time, ~1.8 GB"
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar on \
		-e '.[$(EXTRAS)]' 2>&1 | grep --line-buffered -v "is ignored: it is neither" || true
	@echo "[3/3] checking the install"
	$(BIN)/python -c "import coursekit, torch, nbval$(if $(wildcard solutions),$(COMMA) nbgrader,)"
	touch $(STAMP)

# JupyterLab's root is the course folder (notebooks/ and exercises/ both reachable); it opens
# the course home, with coursekit's front-end extension (accessible names for slider handles,
# editors and figures: coursekit/labextensions/coursekit-a11y).
lab: $(STAMP)
	$(BIN)/jupyter lab $(ROOT_FLAG) START_HERE.ipynb \
		--LabApp.extra_labextensions_path=$(CURDIR)/coursekit/labextensions

lint: $(STAMP)
	$(BIN)/ruff check .

# axe-core for the browser tests' accessibility checks (from npm; the tests skip without it,
# and fail under COURSEKIT_REQUIRE_BROWSER=1).
AXE := .cache/npm/node_modules/axe-core/axe.min.js
axe: $(AXE)
$(AXE):
	-npm install --prefix .cache/npm --no-audit --no-fund axe-core@4.14.1

test: lint $(AXE)
	$(BIN)/pytest tests notebooks $(NBVAL) -n 2 --dist loadfile

# The stored outputs must not depend on the BLAS kernels: `make test` checks every lesson under
# this machine's OpenBLAS kernel family and a second one (see conftest.py).
notebooks: $(STAMP)
	@$(BIN)/python -c "from conftest import native_blas_family as f; \
		print('executing the lessons with OpenBLAS kernel family', f())"
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=600 \
		notebooks/[0-9]*.ipynb

exercises: $(STAMP)
	$(BIN)/coursekit exercises build

# make present LESSON=05: one lesson as a Voilà dashboard (code hidden, lecture style)
present: $(STAMP)
	$(BIN)/coursekit present $(LESSON)

site: $(STAMP)
	$(BIN)/coursekit site

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache _site .cache
