# Every target builds .venv from this project's own files first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python demo/tour.py

test: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -n 2 --dist loadgroup

bench: $(STAMP)
	$(BIN)/python -m compileall -q gitckpt  # as an installed package has: timings exclude compiling
	$(BIN)/python benchmarks/check_many.py
	$(BIN)/python benchmarks/hashing.py
	$(BIN)/python benchmarks/registry.py
	$(BIN)/python benchmarks/provenance.py

lint: $(STAMP)
	$(BIN)/ruff check gitckpt tests testing benchmarks demo
	$(BIN)/mypy gitckpt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
