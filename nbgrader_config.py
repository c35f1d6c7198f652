"""nbgrader configuration of the course (nbgrader 0.9).

The course directory is this repository: instructor notebooks are built into
solutions/<assignment>/ from their jupytext sources, and released into exercises/.
"""
import os

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "network-compression"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# The jupytext sources hold the solutions and hidden tests: never copy them to students.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback",
                            "*.py", "*.md"]
# Every exercise runs in seconds; a cell that takes longer is stuck.
c.Execute.timeout = 120
# A test cell a student deleted is put back before grading (an edited one always is).
c.OverwriteCells.add_missing_cells = True
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
# The gradebook: gradebook.db (SQLite) here by default; a PostgreSQL server when several
# graders work at once (`make grade WORKERS=N`, several machines), e.g.
# GRADEBOOK_URL=postgresql://grader@db.example.org/network_compression
if os.environ.get("GRADEBOOK_URL"):
    c.CourseDirectory.db_url = os.environ["GRADEBOOK_URL"]
# Submissions downloaded from a learning management system (`nbgrader zip_collect`) are
# named <assignment>_<student>_attempt_<YYYYMMDD-HHMMSS>_<notebook>.ipynb (Blackboard's
# style; nbgrader reads 2026-01-30-15-00-00 as a time zone); change this expression to
# your system's names (it sees the whole path).
c.FileNameCollectorPlugin.named_regexp = (
    r".*/[^/_]+_(?P<student_id>[^/]+)_attempt_(?P<timestamp>[0-9-]+)_(?P<file_id>[^/]+)$")

# Submissions that fight back (grader/preprocessors.py): each kernel may allocate this many GiB
# (a cell that allocates without end fails with an out-of-memory error, the machine and the
# other submissions are unharmed); a kernel that dies is recorded on the cell that killed it
# and the cells after it score zero; no output keeps more than this many characters. These
# are nbgrader's own lists with the course's preprocessors in their places, named as strings
# so that commands which do not execute notebooks do not import them.
c.Autograde.autograde_preprocessors = [
    "grader.preprocessors.GuardedExecute",                     # nbgrader's Execute
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "grader.preprocessors.LimitOutputSize",                    # nbgrader's LimitOutput
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.GuardedExecute.memory_limit = 4
c.LimitOutputSize.max_characters = 100_000
# Feedback shows each test's score, exception and message, but not the hidden tests.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "grader.preprocessors.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
