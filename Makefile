# `make book` and `make test` work on a fresh clone: both create .venv and install the
# project with its pinned dependencies first.
VENV    := .venv
PYTHON  := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
# nbgrader calls alembic by name, and notebook kernels start `python`: the venv comes first.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: install book test exercises grade nbval clean

install: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e ".[course]"
	touch $(STAMP)

## book: build the HTML book into _build/html. A chapter executes when it is not in the
## execution cache (_build/.jupyter_cache): the first time, after its code changed, or after
## anything in support/ changed (which empties the cache).
CACHE_STAMP := _build/.jupyter_cache/support.stamp
book: $(STAMP)
	@if [ -d _build/.jupyter_cache ] && { [ ! -e $(CACHE_STAMP) ] || \
	    [ -n "$$(find support -name '*.py' -newer $(CACHE_STAMP))" ]; }; then \
	  echo "support/ changed since the chapters were executed: executing them again"; \
	  rm -rf _build/.jupyter_cache; fi
	jupyter-book build --all -W -n --keep-going .
	touch $(CACHE_STAMP)
	@echo "open _build/html/index.html"

## exercises: regenerate exercises/ from the jupytext sources in solutions/
exercises: $(STAMP)
	$(PYTHON) -m support.grading release

## grade: autograde the submissions of ASSIGNMENT (submitted/<student>/ASSIGNMENT/) with
## WORKERS nbgrader processes side by side; MACHINE=i/n grades part i of n of the students
## (the other parts on other machines). Several workers or machines need a PostgreSQL
## gradebook: GRADEBOOK_URL=postgresql://... (see README). FORCE=1 grades everyone again.
WORKERS ?= 1
MACHINE ?= 1/1
grade: $(STAMP)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make grade ASSIGNMENT=01-pruning [WORKERS=2] [MACHINE=1/2]"; exit 2; }
	$(PYTHON) -m support.grading grade $(ASSIGNMENT) --workers $(WORKERS) --machine $(MACHINE) $(if $(FORCE),--force)

## test: every test, each chapter executed once, in two streams of one thread each (so that
## they do not fight over the two cores):
## - nbval executes the chapters and stores them in Jupyter Book's execution cache
##   (tests/nbval_cache.py); the -W book build renders them from it; then the grading round
##   trips of the assignments in BESIDE_CHAPTERS;
## - the unit tests and the other grading round trips.
BESIDE_CHAPTERS := 01-pruning or 04-architecture
test: $(STAMP)
	rm -rf _build/nbval && mkdir -p _build/nbval
	for chapter in book/*.md; do \
	  jupytext --quiet --to ipynb -o _build/nbval/$$(basename $$chapter .md).ipynb $$chapter || exit 1; \
	done
	export OMP_NUM_THREADS=1; \
	( $(PYTHON) -m pytest -p tests.nbval_cache _build/nbval --nbval-lax --durations=0 && \
	  BOOK_FROM_CACHE=1 $(PYTHON) -m pytest tests/test_book.py --durations=3 && \
	  $(PYTHON) -m pytest tests/test_grading.py -k "$(BESIDE_CHAPTERS)" --durations=3 ) \
	  > _build/test-chapters.log 2>&1 & chapters=$$!; \
	$(PYTHON) -m pytest tests --ignore=tests/test_book.py -k "not ($(BESIDE_CHAPTERS))" --durations=10; \
	rest=$$?; wait $$chapters; built=$$?; \
	echo "---- the chapters (nbval), the book build and the grading of $(BESIDE_CHAPTERS), run alongside ----"; \
	cat _build/test-chapters.log; \
	test $$rest -eq 0 -a $$built -eq 0

clean:
	rm -rf _build solutions/*/*.ipynb gradebook.db
