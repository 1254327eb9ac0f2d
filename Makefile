# Every target builds .venv from this project's own files first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test bench lint clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python demo/tour.py

# Debian's Chromium and ChromeDriver: the site is tested in a real headless browser.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		{ $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; }

test: $(STAMP) browser
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -n 2 --dist loadgroup

bench: $(STAMP)
	$(BIN)/python -m compileall -q gitckpt  # as an installed package has: timings exclude compiling
	$(BIN)/python benchmarks/check_many.py
	$(BIN)/python benchmarks/yaml_readers.py
	$(BIN)/python benchmarks/hashing.py
	$(BIN)/python benchmarks/registry.py
	$(BIN)/python benchmarks/provenance.py
	$(BIN)/python benchmarks/search.py
	$(BIN)/python benchmarks/site.py
	$(BIN)/python benchmarks/serialization.py

lint: $(STAMP)
	$(BIN)/ruff check gitckpt tests testing benchmarks demo
	$(BIN)/mypy gitckpt
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
