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
# Generated data sets and trained models (support.data.CACHE, support.cache) are kept in the
# clone, so that `make clean` starts from nothing and a fresh clone trains everything once.
export COMPRESSION_CACHE ?= $(CURDIR)/_build/cache

.PHONY: install system book site bench bench-grading lab test exercises grade clean

install: $(STAMP)

## system: what the tests need from the system beside the venv, installed with Debian's
## apt-get when it is missing (as root, or with sudo that asks no password), after one line
## that says what; where it cannot be installed, make stops before anything runs, with the
## command to run. SYSTEM_NEEDS: a command or file each, then the Debian package that has it.
SYSTEM_NEEDS := /usr/bin/chromium:chromium bwrap:bubblewrap
define SYSTEM_INSTALL
missing=""
for need in $(SYSTEM_NEEDS); do
  command -v "$${need%%:*}" > /dev/null || missing="$$missing $${need##*:}"
done
[ -z "$$missing" ] && exit 0
why="the browser tests drive Chromium; grading runs each submission in a bubblewrap sandbox"
if [ "$$(id -u)" -eq 0 ]; then sudo=""
elif command -v sudo > /dev/null && sudo -n true 2> /dev/null; then sudo="sudo"
else
  echo "make test needs Debian's package(s)$$missing ($$why), and cannot install them"
  echo "without root: run   sudo apt-get install -y$$missing   then make test again"
  exit 1
fi
command -v apt-get > /dev/null || { echo "make test needs$$missing ($$why): install it"\
  "with your system's package manager (Chromium at /usr/bin/chromium; bubblewrap's bwrap), then make test again"; exit 1; }
echo "installing Debian's package(s)$$missing: $$why"
$$sudo apt-get update -qq && $$sudo apt-get install -y -qq$$missing > /dev/null
endef
export SYSTEM_INSTALL
system:
	@bash -c "$$SYSTEM_INSTALL"

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

# The venv's packages are installed by uv (from PyPI), which installs the same pins as pip
# several times faster (in parallel, from its cache), told to look where pip looks: pip's
# configured index-url, extra-index-url and find-links, each version chosen as pip would
# (unsafe-best-match: the best version over every index, not the first index that has it),
# and compiled to bytecode as pip does (else every process compiles what it imports again
# where PYTHONDONTWRITEBYTECODE is set: several seconds for each torch import).
pip_config = $(shell $(PYTHON3) -m pip config get global.$(1) 2> /dev/null)
UV_WHERE_PIP_LOOKS = --index-strategy unsafe-best-match \
  $(addprefix --index-url ,$(call pip_config,index-url)) \
  $(addprefix --extra-index-url ,$(call pip_config,extra-index-url)) \
  $(addprefix --find-links ,$(sort $(call pip_config,find-links) $(PIP_FIND_LINKS)))

$(STAMP): pyproject.toml
	@test -n "$(PYTHON3)" || { echo "python3 not found: install Python 3 (see README)"; exit 1; }
	@$(PYTHON3) -c "$$CHECK_PYTHON"
	$(PYTHON3) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip uv
	$(VENV)/bin/uv pip install --quiet --compile-bytecode --python $(PYTHON) $(UV_WHERE_PIP_LOOKS) \
	  -e ".[course]" || \
	  { echo "uv could not install the course: installing it with pip instead"; \
	    $(PYTHON) -m pip install --quiet -e ".[course]"; }
	$(UNWANTED)
	touch $(STAMP)

# rfc3987-syntax comes with jupyter-events (jsonschema[format-nongpl]) only to check the "iri"
# format, which no schema of ours uses, and builds three Earley parsers when it is imported:
# 1.8 s in every process that imports nbformat (each nbgrader command, each pytest job, the
# Lab server). jsonschema skips that format without it.
UNWANTED = $(VENV)/bin/uv pip uninstall --quiet --python $(PYTHON) rfc3987-syntax || \
  $(PYTHON) -m pip uninstall --quiet --yes rfc3987-syntax

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
## figures the chapters record (executes the chapters that are not cached first); then where
## the last `make test` spent its time, job by job.
bench: book
	$(PYTHON) -m benchmarks.chapters

## bench-grading: seconds per submission of each assignment with and without the sandbox, and
## submissions graded per minute with 1, 2 and 4 Dask workers on a PostgreSQL gradebook
## (STUDENTS copies of the solution); then a class of KILLED_CLASS graded with a worker killed
## mid-class, against the serial gradebook.
STUDENTS ?= 4
KILLED_CLASS ?= 60
bench-grading: $(STAMP)
	$(PYTHON) -m benchmarks.grading --students $(STUDENTS) --killed-class $(KILLED_CLASS)

## lab: JupyterLab on the course; open a chapter (book/*.md) with "Open With > Jupytext
## Notebook", or an exercise from exercises/.
lab: $(STAMP)
	jupyter lab

## exercises: regenerate exercises/ from the jupytext sources in solutions/
exercises: $(STAMP)
	$(PYTHON) -m grader.pipeline release

## grade: autograde the submissions of ASSIGNMENT (submitted/<student>/ASSIGNMENT/) not graded
## yet, and those whose grading was cut short (FORCE=1: all of them). WORKERS=N: on a Dask
## LocalCluster of N worker processes, one task per submission; SCHEDULER=tcp://host:8786 on
## the workers of that Dask cluster (every worker sees the course directory at the same path).
## In parallel the gradebook must be PostgreSQL: GRADEBOOK_URL=postgresql://... (see README).
## Each submission runs in a bubblewrap sandbox (grader/sandbox.py); where none can be had,
## grading stops unless asked for without one in so many words: UNSANDBOXED=yes.
WORKERS ?= 1
grade: $(STAMP)
	@test -n "$(ASSIGNMENT)" || { echo "usage: make grade ASSIGNMENT=01-pruning [WORKERS=2] [SCHEDULER=tcp://host:8786] [FORCE=1] [UNSANDBOXED=yes]"; exit 2; }
	$(PYTHON) -m grader.pipeline grade $(ASSIGNMENT) --workers $(WORKERS) $(if $(SCHEDULER),--scheduler $(SCHEDULER)) $(if $(FORCE),--force) $(if $(filter yes,$(UNSANDBOXED)),--unsandboxed)

## test: every test, each chapter executed once, as jobs run side by side, one per core
## (tests/run.py): each chapter executed by nbval into Jupyter Book's execution cache
## (tests/nbval_cache.py), the unit tests, each assignment's grading round trip, the -W book
## build from that cache, its pages in headless Chromium, each exercise solved and run
## in JupyterLab. The jobs that hold others up start first; the run ends with where the time
## went (saved in _build/test-times.json, which orders the next run and `make bench`).
test:
	@$(MAKE) --no-print-directory -j2 install system   # the two side by side
	$(PYTHON) -m tests.run

clean:
	rm -rf _build solutions/*/*.ipynb gradebook.db
