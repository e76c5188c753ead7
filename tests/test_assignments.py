"""Student notebooks: built from the solution notebooks, committed up to date, and graded.

The grading tests grade three example submissions of example_submissions.py once per session
through the command line (``gan-tutorial exercises grade``), each notebook in its own Jupyter
kernel up to its last graded cell: the reference solution (``correct``), the notebooks as handed
out (``empty``) and plausible mistakes (``partly_wrong``). A kernel start imports TensorFlow, so
the correct and the empty student hand in a few quick notebooks (6 notebook runs in all, not 27);
what grading the others would add is tested without kernels: a solved student notebook holds
exactly the code of its solution notebook, which runs under nbval with every check cell (a failed
check raises), and every exercise's unwritten cell gets the "not written yet" message.
"""

import contextlib
import importlib
import io
import json

import pytest
from example_submissions import PARTLY_WRONG_NOTEBOOKS, solved, write_example_submissions

from gan_tutorial import assignments, cli, exercises

RELEASED = assignments.NOTEBOOKS / assignments.EXERCISE_FOLDER


def test_committed_student_notebooks_are_what_the_build_makes_now(tmp_path):
    built = assignments.build(out=tmp_path)
    assert [p.name for p in built] == sorted(p.name for p in RELEASED.glob("*.ipynb"))
    for path in built:
        assert path.read_bytes() == (RELEASED / path.name).read_bytes(), (
            f"notebooks/exercises/{path.name} is stale: run `make exercises` and commit the result")


def test_building_twice_gives_identical_files(tmp_path):
    first, second = assignments.build(out=tmp_path / "a"), assignments.build(out=tmp_path / "b")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


SOLUTION = '''class Model:
    def step(self, x):
        """Docstring stays."""
        ### BEGIN SOLUTION
        y = 2 * x
        return y
        ### END SOLUTION

def helper():
    ### BEGIN SOLUTION
    return 1
    ### END SOLUTION'''


def test_a_region_becomes_a_placeholder_at_its_indentation():
    assert assignments.student_source(SOLUTION) == '''class Model:
    def step(self, x):
        """Docstring stays."""
        # YOUR CODE HERE
        raise NotImplementedError("write step")

def helper():
    # YOUR CODE HERE
    raise NotImplementedError("write helper")'''


def test_without_markers_the_solution_is_left():
    assert assignments.without_solution_markers(SOLUTION) == '''class Model:
    def step(self, x):
        """Docstring stays."""
        y = 2 * x
        return y

def helper():
    return 1
'''


@pytest.mark.parametrize("source", ["### BEGIN SOLUTION\nx = 1", "x = 1\n### END SOLUTION",
                                    "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION"])
def test_unbalanced_markers_are_refused(source):
    with pytest.raises(ValueError):
        assignments.student_source(source)


def cells_by_grade_id(path):
    cells = json.loads(path.read_text())["cells"]
    return {assignments.nbgrader(c)["grade_id"]: c for c in cells if assignments.nbgrader(c)}


@pytest.mark.parametrize("name", list(exercises.EXERCISES))
def test_each_exercise_has_a_graded_cell_calling_its_check(name):
    exercise = exercises.EXERCISES[name]
    cell = cells_by_grade_id(assignments.NOTEBOOKS / f"{exercise.notebook}.ipynb").get(f"check_{name}")
    assert cell is not None, f"{exercise.notebook} has no graded cell with grade_id check_{name}"
    assert assignments.nbgrader(cell)["points"] > 0 and assignments.nbgrader(cell)["locked"]
    assert f"check_{name}(" in "".join(cell["source"])


def test_every_graded_cell_belongs_to_a_registered_exercise():
    for path in RELEASED.glob("*.ipynb"):
        for grade_id, cell in cells_by_grade_id(path).items():
            if assignments.is_graded(cell):
                name = grade_id.removeprefix("check_")
                assert name in exercises.EXERCISES and exercises.EXERCISES[name].notebook == path.stem, grade_id


@pytest.mark.parametrize("path", sorted(RELEASED.glob("*.ipynb")), ids=lambda p: p.stem)
def test_student_notebooks_hold_placeholders_and_no_outputs(path):
    solutions = cells_by_grade_id(assignments.NOTEBOOKS / path.name)
    for cell in json.loads(path.read_text())["cells"]:
        source = "".join(cell["source"])
        assert assignments.BEGIN not in source and "execution" not in cell["metadata"]
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
        if assignments.nbgrader(cell).get("solution"):
            regions = "".join(solutions[assignments.nbgrader(cell)["grade_id"]]["source"]).count(assignments.BEGIN)
            assert source.count("raise NotImplementedError(") == regions > 0


@pytest.mark.parametrize("path", sorted(RELEASED.glob("*.ipynb")), ids=lambda p: p.stem)
def test_each_exercise_opens_with_your_task_and_no_text_points_at_the_exercise_folder(path):
    cells = json.loads(path.read_text())["cells"]
    for before, cell in zip(cells, cells[1:]):
        if assignments.nbgrader(cell).get("solution"):
            task = "".join(before["source"])
            assert before["cell_type"] == "markdown" and task.startswith("**Your task:** complete `"), task
    for cell in cells:
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"])
            assert "notebooks/exercises" not in text and "`train_step` closely" not in text, text


def test_the_task_names_each_function_to_complete_with_its_docstring():
    cell = {"cell_type": "code", "id": "x", "metadata": {}, "source": [
        "class Layer:\n", "    def call(self, x):\n", '        """Double x."""\n', "        ### BEGIN SOLUTION\n",
        "        return 2 * x\n", "        ### END SOLUTION\n", "\n", "def helper():\n", '    """Given."""\n',
        "    return 1\n"]}
    assert "".join(assignments.task_cell(cell)["source"]) == (
        "**Your task:** complete `Layer.call` (Double x) where it says `YOUR CODE HERE`. Then run the check in the cell "
        "after it.")


# The notebooks the correct and the empty student hand in: quick ones up to their last graded cell, 8 and 4 exercises.
HANDED_IN = {"correct": ["02_generator", "03_discriminator", "04_training_step"], "empty": ["03_discriminator"]}


@pytest.fixture(scope="module")
def grading(tmp_path_factory):
    """Grade the example submissions with the command line; return its printed table and its JSON report."""
    folder = write_example_submissions(tmp_path_factory.mktemp("submissions"), HANDED_IN)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(io.StringIO()):
        assert cli.main(["exercises", "grade", str(folder)]) == 0
    return printed.getvalue(), json.loads((folder / "grades.json").read_text())


def handed_in(student, name):
    return exercises.EXERCISES[name].notebook in HANDED_IN[student]


def test_a_correct_submission_passes_every_check(grading):
    student = grading[1]["students"]["correct"]
    messages = {name: e["message"] for name, e in student["exercises"].items()}
    passed = {name for name in exercises.EXERCISES if handed_in("correct", name)}
    assert len(passed) >= 8 and {name: messages[name] for name in passed} == dict.fromkeys(passed, "")
    for name in set(exercises.EXERCISES) - passed:
        assert messages[name] == f"{exercises.EXERCISES[name].notebook}.ipynb was not submitted"
    points = sum(e["max_points"] for name, e in student["exercises"].items() if name in passed)
    assert student["points"] == points > 0


@pytest.mark.parametrize("name", [path.stem for path in sorted(RELEASED.glob("*.ipynb"))])
def test_a_solved_student_notebook_holds_the_code_of_its_solution_notebook(name):
    # So nbval's run of the solution notebook, whose check cells raise on a failed check, is the correct
    # submission's run of every notebook: the grading above runs four of them through the grader.
    def code(notebook, strip):
        return [strip("".join(c["source"])).rstrip("\n") for c in notebook["cells"] if c["cell_type"] == "code"]

    solution = json.loads((assignments.NOTEBOOKS / f"{name}.ipynb").read_text())
    assert code(solved(name), str) == code(solution, assignments.without_solution_markers)


def check_cell_namespace(exercise):
    """A copy of the namespace of the module that holds the exercise's reference answer: the names its cell uses."""
    return dict(vars(importlib.import_module(exercise.solution.split(":")[0])))


@pytest.mark.parametrize("name", list(exercises.EXERCISES))
def test_each_exercise_as_handed_out_says_it_is_not_written_yet(name):
    # Every exercise, without a kernel: the student's cells (solution cell as handed out, then its check cell) run
    # in a copy of the namespace of the module holding the reference answer, which the notebook's cell shows.
    exercise = exercises.EXERCISES[name]
    cells = json.loads((RELEASED / f"{exercise.notebook}.ipynb").read_text())["cells"]
    at = next(i for i, c in enumerate(cells) if assignments.nbgrader(c).get("grade_id") == f"check_{name}")
    solution = [c for c in cells[:at] if assignments.nbgrader(c).get("solution")][-1]  # the last one before it
    namespace = check_cell_namespace(exercise)
    exec("".join(solution["source"]), namespace)
    with pytest.raises(exercises.ExerciseFailed, match=rf"^{name} is not written yet: replace the `raise NotImpl"):
        exec("".join(cells[at]["source"]), namespace)


def test_an_unsolved_submission_fails_each_check_saying_what_is_not_written(grading):
    student = grading[1]["students"]["empty"]
    assert set(student["exercises"]) == set(exercises.EXERCISES)
    submitted = [name for name in exercises.EXERCISES if handed_in("empty", name)]
    assert len(submitted) >= 4
    for name in submitted:
        result = student["exercises"][name]
        assert result["points"] == 0
        assert result["message"].startswith(f"{name} is not written yet: replace the `raise NotImplementedError`")


def test_a_partly_wrong_submission_gets_specific_messages(grading):
    student = grading[1]["students"]["partly_wrong"]
    messages = {name: e["message"] for name, e in student["exercises"].items()}
    assert "your generator outputs (None, 28, 28, 3); expected (None, 28, 28, 1)" in messages.pop("build_generator")
    assert "Are the labels of real and fake swapped?" in messages.pop("discriminator_loss")
    assert messages.pop("grid").startswith("grid is not written yet")  # although the student emptied its check cell
    submitted = {name: message for name, message in messages.items()
                 if exercises.EXERCISES[name].notebook in PARTLY_WRONG_NOTEBOOKS}
    assert submitted and set(submitted.values()) == {""}  # a mistake in one exercise costs no other in its notebook
    for name in set(messages) - set(submitted):  # 04_training_step's train_step among them
        assert messages[name] == f"{exercises.EXERCISES[name].notebook}.ipynb was not submitted"
    assert "train_step" in set(messages) - set(submitted)
    lost = sum(e["max_points"] for name, e in student["exercises"].items() if name not in submitted)
    assert student["points"] == student["max_points"] - lost > 0


def test_the_grades_are_printed_as_a_table(grading):
    printed, report = grading
    lines = printed.splitlines()
    assert lines[0].split() == ["student", *exercises.EXERCISES, "total"]
    for line, (student, result) in zip(lines[1:4], report["students"].items()):
        assert line.split()[0] == student and line.split()[-1] == f"{result['points']}/{result['max_points']}"
    assert f"Graded in {report['seconds']} s, {report['jobs']} notebook(s) at a time." in lines
    assert report["jobs"] == assignments.default_jobs() and report["seconds"] > 0


def test_the_command_line_builds_and_refuses_a_missing_folder(tmp_path, capsys):
    assert cli.main(["exercises", "build", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.glob("*.ipynb")) == sorted(p.name for p in RELEASED.glob("*.ipynb"))
    assert cli.main(["exercises", "grade", str(tmp_path / "missing")]) == 2
    assert "is not a folder of submissions" in capsys.readouterr().err
    assert cli.main(["exercises", "grade", str(tmp_path), "--jobs", "0"]) == 2
    assert capsys.readouterr().err.endswith("error: --jobs must be at least 1, got 0.\n")
