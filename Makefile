# make demo   train the MNIST DCGAN (5 minutes of training) and write samples, GIF and plots to runs/mnist
# make test   every test: unit tests and the notebooks under nbval, in fast mode
# make lab    open the notebooks in JupyterLab
# make exercises  build the student notebooks (notebooks/exercises/) from the solution notebooks
# Each target creates .venv and installs the package into it first if needed.

PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
RUN_DIR ?= runs/mnist

.PHONY: install demo test lab bench exercises clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[notebooks,test]"
	touch $@

demo: install
	$(BIN)/gan-tutorial train --dataset mnist --out $(RUN_DIR)
	$(BIN)/gan-tutorial evaluate $(RUN_DIR) --dataset mnist

test: install
	GAN_TUTORIAL_FAST=1 $(BIN)/python -m pytest

lab: install
	$(BIN)/jupyter lab notebooks/

bench: install
	$(BIN)/gan-tutorial bench --dataset mnist

exercises: install
	$(BIN)/gan-tutorial exercises build

clean:
	rm -rf $(VENV) runs .pytest_cache
