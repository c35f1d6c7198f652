# `make book` and `make test` work on a fresh clone: both create .venv and install the
# project with its pinned dependencies first.
VENV    := .venv
PYTHON  := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
# nbgrader calls alembic by name, and notebook kernels start `python`: the venv comes first.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: install book test exercises nbval clean

install: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e ".[course]"
	touch $(STAMP)

## book: build the HTML book, executing every chapter, into _build/html
book: $(STAMP)
	jupyter-book build --all -W -n --keep-going .
	@echo "open _build/html/index.html"

## exercises: regenerate exercises/ from the jupytext sources in solutions/
exercises: $(STAMP)
	$(PYTHON) -m support.grading release

## test: every test: support units, the grading round trip, the chapters (nbval), the book
test: $(STAMP)
	rm -rf _build/nbval && mkdir -p _build/nbval
	for chapter in book/*.md; do \
	  jupytext --quiet --to ipynb -o _build/nbval/$$(basename $$chapter .md).ipynb $$chapter || exit 1; \
	done
	$(PYTHON) -m pytest tests _build/nbval --nbval-lax --durations=10

clean:
	rm -rf _build solutions/*/*.ipynb gradebook.db
