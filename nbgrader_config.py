"""nbgrader configuration of the course (nbgrader 0.9).

The course directory is this repository: instructor notebooks are built into
solutions/<assignment>/ from their jupytext sources, and released into exercises/.
"""
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
