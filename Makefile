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

.PHONY: setup lab test lint notebooks exercises present site bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' 2>&1 \
		| grep -v "is ignored: it is neither a file nor a directory" || true
	$(BIN)/python -c "import coursekit, torch, nbval, nbgrader"
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab $(ROOT_FLAG) --notebook-dir=notebooks

lint: $(STAMP)
	$(BIN)/ruff check .

test: lint
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
	rm -rf $(VENV) .pytest_cache .ruff_cache _site
