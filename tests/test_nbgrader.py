"""nbgrader itself on the solution notebooks: the marks this repository puts in them work in the real tool.

In a temporary course folder, ``nbgrader generate_assignment`` releases notebook 00 (the
smallest notebook with an exercise) from its solution notebook, and ``nbgrader autograde``
grades two submissions of the released notebook: one with the reference solution (full
marks) and one with p_data and p_g swapped in ``optimal_discriminator`` (that exercise's
points lost). The solution regions nbgrader clears are the ones ``gan-tutorial exercises
build`` replaces (gan_tutorial/assignments.py). nbgrader runs as a command, as an
instructor runs it; it finds its ``alembic`` command next to the Python that runs it.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest
from nbgrader.api import Gradebook

from gan_tutorial import assignments, exercises

NOTEBOOK = "00_the_gan_game"
ASSIGNMENT = "ps0"
WRONG = ("p_data / np.where(total > 0, total, 1.0)", "p_g / np.where(total > 0, total, 1.0)")  # swapped densities


def nbgrader(course, *arguments):
    bin_dir = os.path.dirname(sys.executable)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), "GAN_TUTORIAL_SMOKE": "100"}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *arguments, f"--CourseDirectory.root={course}"],
                          cwd=course, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def cells(path):
    return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))["cells"]


def solution_cells(path):
    return {assignments.nbgrader(c)["grade_id"]: "".join(c["source"]) for c in cells(path)
            if assignments.nbgrader(c).get("solution")}


def submit(course, student, released, solutions, mistake=None):
    notebook = json.loads(released.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        grade_id = assignments.nbgrader(cell).get("grade_id")
        if assignments.nbgrader(cell).get("solution"):
            source = assignments.without_solution_markers(solutions[grade_id])
            if mistake:
                assert mistake[0] in source
                source = source.replace(*mistake)
            cell["source"] = source
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    (folder / f"{NOTEBOOK}.ipynb").write_text(json.dumps(notebook), encoding="utf-8")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course folder in which nbgrader has released notebook 00 and autograded two submissions."""
    course = tmp_path_factory.mktemp("course")
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    shutil.copy(assignments.NOTEBOOKS / f"{NOTEBOOK}.ipynb", course / "source" / ASSIGNMENT)
    nbgrader(course, "generate_assignment", ASSIGNMENT)
    released = course / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    solutions = solution_cells(assignments.NOTEBOOKS / f"{NOTEBOOK}.ipynb")
    submit(course, "correct", released, solutions)
    submit(course, "swapped", released, solutions, WRONG)
    nbgrader(course, "autograde", ASSIGNMENT, "--create")
    return course


def test_generate_assignment_clears_the_regions_that_the_build_replaces(course):
    released = solution_cells(course / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    ours = solution_cells(assignments.NOTEBOOKS / assignments.EXERCISE_FOLDER / f"{NOTEBOOK}.ipynb")
    assert released.keys() == ours.keys() == {"optimal_discriminator"}
    for grade_id, source in released.items():
        assert assignments.BEGIN not in source and "raise NotImplementedError()" in source
        # The same lines kept; ours only words the placeholder and the cell's first comment for students.
        ours_as_nbgrader = [line for line in ours[grade_id].splitlines()[1:] if "NotImplementedError" not in line]
        assert [line for line in source.splitlines()[1:] if "NotImplementedError" not in line] == ours_as_nbgrader


def test_autograde_gives_full_marks_to_the_solution_and_the_expected_points_to_a_wrong_answer(course):
    assert exercises.EXERCISES["optimal_discriminator"].notebook == NOTEBOOK
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        correct = gradebook.find_submission_notebook(NOTEBOOK, ASSIGNMENT, "correct")
        swapped = gradebook.find_submission_notebook(NOTEBOOK, ASSIGNMENT, "swapped")
        assert correct.max_score == 2 and correct.score == 2
        assert swapped.score == 0
        grade = gradebook.find_grade("check_optimal_discriminator", NOTEBOOK, ASSIGNMENT, "swapped")
        assert (grade.auto_score, grade.max_score) == (0, 2)
    autograded = cells(course / "autograded" / "swapped" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    check = next(c for c in autograded if assignments.nbgrader(c).get("grade_id") == "check_optimal_discriminator")
    error = next(o for o in check["outputs"] if o["output_type"] == "error")
    assert error["ename"] == "ExerciseFailed" and "p_data and p_g are swapped" in error["evalue"]
