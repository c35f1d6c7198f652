# `make book` and `make test` work on a fresh clone: both create .venv and install the
# project with its pinned dependencies first.
VENV    := .venv
PYTHON  := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
# The Python that makes the venv, found before the venv's bin/ goes first on PATH below.
PYTHON3 ?= $(shell command -v python3)
# nbgrader calls alembic by name, and notebook kernels start `python`: the venv comes first.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# The course's figure style, for every chapter that runs under make (support/matplotlibrc).
export MATPLOTLIBRC := $(CURDIR)/support/matplotlibrc

.PHONY: install book site bench bench-grading lab test exercises grade clean

install: $(STAMP)

# The venv is made by PYTHON3 (`make PYTHON3=python3.13 ...` to choose), which must be one of
# the versions pyproject.toml's requires-python allows: say so plainly, before pip would.
define CHECK_PYTHON
import re, sys
spec = re.search(r'requires-python\s*=\s*"([^"]*)"', open("pyproject.toml").read()).group(1)
low = re.search(r">=\s*3\.(\d+)", spec)
high = re.search(r"<\s*3\.(\d+)", spec)
minor = sys.version_info[1]
if (low and minor < int(low.group(1))) or (high and minor >= int(high.group(1))):
    sys.exit("The course needs Python %s (the versions its pinned dependencies install on), "
             "but %s is Python %d.%d.\nInstall one of those versions and run make again with "
             "it, for example: make PYTHON3=python3.12" % (spec, sys.executable, 3, minor))
endef
export CHECK_PYTHON

$(STAMP): pyproject.toml
	@test -n "$(PYTHON3)" || { echo "python3 not found: install Python 3 (see README)"; exit 1; }
	@$(PYTHON3) -c "$$CHECK_PYTHON"
	$(PYTHON3) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e ".[course]"
	touch $(STAMP)

## book: build the HTML book into _build/html. A chapter executes when it is not in the
## execution cache (_build/.jupyter_cache): the first time, after its code changed, or after
## anything in support/ changed (which empties the cache). The chapters to execute run first,
## two at a time (jupyter-cache's parallel executor, one process per core, one thread each);
## the build then renders every chapter from the cache. CHAPTERS: the pages that run code.
CACHE       := _build/.jupyter_cache
CACHE_STAMP := $(CACHE)/support.stamp
CHAPTERS     = $(shell grep -l '{code-cell}' book/*.md)
book: $(STAMP)
	@if [ -d $(CACHE) ] && { [ ! -e $(CACHE_STAMP) ] || [ -n "$$(find support -newer \
	    $(CACHE_STAMP) \( -name '*.py' -o -name matplotlibrc \))" ]; }; then \
	  echo "support/ changed since the chapters were executed: executing them again"; \
	  rm -rf $(CACHE); fi
	mkdir -p $(CACHE) && touch $(CACHE_STAMP)
	jcache notebook -p $(CACHE) add --reader myst_nb_md $(CHAPTERS) > /dev/null
	OMP_NUM_THREADS=1 jcache project -p $(CACHE) execute --executor local-parallel --timeout 600
	jupyter-book build --all -W -n --keep-going .
	@echo "open _build/html/index.html"

## site: the folder to publish, _build/html: the book built, then checked page by page in
## headless Chromium (tests/test_reading.py). README: how to publish it with ghp-import.
site: book
	$(PYTHON) -m pytest tests/test_reading.py
	@echo "_build/html is ready: publish it with  .venv/bin/ghp-import -n -p -f _build/html"

## bench: each chapter's execution time and the totals, from the execution cache and the
## figures the chapters record (executes the chapters that are not cached first).
bench: book
	$(PYTHON) -m benchmarks.chapters

## bench-grading: seconds per submission of each assignment, and submissions graded per
## minute with 1 and 2 workers on a PostgreSQL gradebook (STUDENTS copies of the solution).
STUDENTS ?= 4
bench-grading: $(STAMP)
	$(PYTHON) -m benchmarks.grading --students $(STUDENTS)

## lab: JupyterLab on the course; open a chapter (book/*.md) with "Open With > Jupytext
## Notebook", or an exercise from exercises/.
lab: $(STAMP)
	jupyter lab

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
##   (tests/nbval_cache.py); the -W book build renders them from it; headless Chromium reads
##   every page of it (tests/test_reading.py); then the grading round trips of the
##   assignments in BESIDE_CHAPTERS, and each exercise solved and validated in JupyterLab
##   (tests/test_lab.py);
## - the unit tests and the other grading round trips.
## The two take about as long (see their --durations): keep them balanced.
BESIDE_CHAPTERS := 04-architecture
OWN_STREAM      := --ignore=tests/test_book.py --ignore=tests/test_reading.py --ignore=tests/test_lab.py
test: $(STAMP)
	rm -rf _build/nbval && mkdir -p _build/nbval
	for chapter in $(CHAPTERS); do \
	  jupytext --quiet --to ipynb -o _build/nbval/$$(basename $$chapter .md).ipynb $$chapter || exit 1; \
	done
	export OMP_NUM_THREADS=1; \
	( $(PYTHON) -m pytest -p tests.nbval_cache _build/nbval --nbval-lax --durations=0 && \
	  BOOK_FROM_CACHE=1 $(PYTHON) -m pytest tests/test_book.py tests/test_reading.py --durations=10 && \
	  $(PYTHON) -m pytest tests/test_grading.py -k "$(BESIDE_CHAPTERS)" --durations=3 && \
	  $(PYTHON) -m pytest tests/test_lab.py --durations=6 ) > _build/test-chapters.log 2>&1 & \
	chapters=$$!; \
	$(PYTHON) -m pytest tests $(OWN_STREAM) -k "not ($(BESIDE_CHAPTERS))" --durations=10; \
	rest=$$?; wait $$chapters; built=$$?; \
	echo "---- the chapters (nbval), the book build and its pages in a browser, the grading of $(BESIDE_CHAPTERS) and JupyterLab, run alongside ----"; \
	cat _build/test-chapters.log; \
	test $$rest -eq 0 -a $$built -eq 0

clean:
	rm -rf _build solutions/*/*.ipynb gradebook.db
