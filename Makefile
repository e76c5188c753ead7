# make demo   train the MNIST DCGAN (5 minutes of training) and write samples, GIF and plots to runs/mnist
# make test   every test: unit tests and the notebooks under nbval at the smoke scale (what CI runs)
# make test-quick  the unit tests alone (no notebooks, no grading, no multi-process runs), for a change to the library
# make durations   every test, with each one's time, into test-durations.txt (the slowest first), and each file's
#                  sum into tests/scope_seconds.json (the order in which the test processes take the files)
# make lab    open the notebooks in JupyterLab
# make exercises  build the student notebooks (notebooks/exercises/) from the solution notebooks
# Each target creates .venv and installs the package into it first if needed.

PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
RUN_DIR ?= runs/mnist
# Test processes side by side: 2 measured fastest on a 2-core machine (notebooks/DEVELOPERS.md, "Tests"); WORKERS=1 runs in one process.
WORKERS ?= 2
PYTEST = GAN_TUTORIAL_SMOKE=100 $(BIN)/python -m pytest -n $(WORKERS) --dist loadscope --no-loadscope-reorder

.PHONY: install demo test test-quick durations lab bench exercises clean

install: $(VENV)/.installed

# uv installs the packages in about 15 s where pip took 85 s (TensorFlow's 572 MB wheel among them), the same versions;
# pip takes over where uv cannot (no uv wheel for the platform, or an index that only pip's configuration names).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv && $(BIN)/uv pip install --python $(BIN)/python -e ".[notebooks,test]" \
		|| $(BIN)/python -m pip install -e ".[notebooks,test]"
	touch $@

demo: install
	$(BIN)/gan-tutorial train --dataset mnist --out $(RUN_DIR)
	$(BIN)/gan-tutorial evaluate $(RUN_DIR) --dataset mnist

test: install
	$(PYTEST)

test-quick: install
	$(PYTEST) tests -m "not slow"

durations: install
	$(PYTEST) --durations=0 | tee test-durations.txt
	$(BIN)/python tests/scope_seconds.py test-durations.txt

lab: install
	$(BIN)/jupyter lab notebooks/

bench: install
	$(BIN)/gan-tutorial bench --dataset mnist

exercises: install
	$(BIN)/gan-tutorial exercises build

clean:
	rm -rf $(VENV) runs .pytest_cache
