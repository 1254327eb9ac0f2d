# Every target builds .venv from this project's own files first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test bench lint clean browser shells man

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python demo/tour.py

# Debian's Chromium and ChromeDriver: the site is tested in a real headless browser; man-db:
# `git ckpt --help` is tested with the real man.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && command -v man >/dev/null || \
		{ $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver man-db; }

# Rewrites man/man1 from the parser; tests/test_man_page.py fails while the committed pages differ.
man: $(STAMP)
	$(BIN)/python -m testing.man_pages

# fish and zsh: `git ckpt completion` is tested in each (bash and git's completion come with git).
shells:
	@command -v fish >/dev/null && command -v zsh >/dev/null || \
		{ $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fish zsh; }

test: $(STAMP) browser shells
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -n 2 --dist loadgroup

# Each benchmark prints its figures and adds its budget rows to GITCKPT_BENCH_RESULTS; one over
# budget does not stop the others (the leading `-`), and the summary table at the end fails then.
# `make bench BENCH_DATA=DIR` builds the generated repositories under DIR and reuses them.
BENCH_DATA ?=
keep = $(if $(BENCH_DATA),--keep $(BENCH_DATA)/$(1))
bench: export GITCKPT_BENCH_RESULTS := $(CURDIR)/.bench-results.jsonl
bench: $(STAMP)
	$(BIN)/python -m compileall -q gitckpt  # as an installed package has: timings exclude compiling
	rm -f $(GITCKPT_BENCH_RESULTS)
	-$(BIN)/python benchmarks/check_many.py $(call keep,check-1k)
	-$(BIN)/python benchmarks/check_many.py --artifacts 10000 --runs 1 $(call keep,check-10k)
	-$(BIN)/python benchmarks/provenance.py $(call keep,log)
	-$(BIN)/python benchmarks/search.py $(call keep,search)
	-$(BIN)/python benchmarks/site.py $(call keep,site)
	-$(BIN)/python benchmarks/add.py $(call keep,add)
	-$(BIN)/python benchmarks/yaml_readers.py
	-$(BIN)/python benchmarks/hashing.py $(call keep,hashing)
	-$(BIN)/python benchmarks/registry.py $(call keep,registry)
	-$(BIN)/python benchmarks/serialization.py $(call keep,serialization)
	$(BIN)/python benchmarks/summary.py

lint: $(STAMP)
	$(BIN)/ruff check gitckpt tests testing benchmarks demo
	$(BIN)/mypy gitckpt
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
