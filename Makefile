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

## test: every test: support units, the grading round trip, the chapters (nbval), the book.
## The book build (which executes every chapter again, with -W) runs beside the rest, on the
## second core; OMP_NUM_THREADS=1 keeps the two from fighting over the cores' threads.
test: $(STAMP)
	rm -rf _build/nbval && mkdir -p _build/nbval
	for chapter in book/*.md; do \
	  jupytext --quiet --to ipynb -o _build/nbval/$$(basename $$chapter .md).ipynb $$chapter || exit 1; \
	done
	export OMP_NUM_THREADS=1; \
	$(PYTHON) -m pytest tests/test_book.py --basetemp=_build/book-tmp --durations=3 > _build/test-book.log 2>&1 & book=$$!; \
	$(PYTHON) -m pytest tests _build/nbval --nbval-lax --ignore=tests/test_book.py --durations=10; \
	rest=$$?; wait $$book; built=$$?; \
	echo "---- the book build (tests/test_book.py), run alongside ----"; cat _build/test-book.log; \
	test $$rest -eq 0 -a $$built -eq 0

clean:
	rm -rf _build solutions/*/*.ipynb gradebook.db
