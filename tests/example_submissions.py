"""Three example submissions of the student notebooks, for the grading test and for trying the grader.

* ``correct``: every solution region filled in with the reference solution;
* ``partly_wrong``: build_generator makes 3 channels, discriminator_loss has the labels
  swapped, FID's cross term lacks its factor 2, grid is left unwritten and its check cell edited to ``pass`` (the grader
  restores it); only the three notebooks holding these mistakes are submitted (02, 03 and 08: their other exercises
  are right), so every other notebook counts as not submitted (04_training_step among them);
* ``empty``: the student notebooks as handed out.

    python tests/example_submissions.py /tmp/submissions   # writes them, then grades them
"""

import json
import pathlib
import sys

from gan_tutorial import assignments

NOTEBOOKS = assignments.NOTEBOOKS
RELEASED = NOTEBOOKS / assignments.EXERCISE_FOLDER

# (notebook, grade_id of the solution cell, text in the solution, the mistake)
MISTAKES = [
    ("02_generator", "build_generator", "output_layers(channels, upsampling)", "output_layers(3, upsampling)"),
    ("02_generator", "build_generator", "    assert model.output_shape == (None, *image_shape), model.output_shape\n",
     ""),
    ("03_discriminator", "losses", "real_targets = keras.ops.full_like(real_logits, 1.0 - label_smoothing)",
     "real_targets = keras.ops.zeros_like(real_logits)"),
    ("03_discriminator", "losses", "fake_targets = keras.ops.zeros_like(fake_logits)",
     "fake_targets = keras.ops.full_like(fake_logits, 1.0 - label_smoothing)"),
]
# Each exercise's check against its plausible mistakes (FID without the factor 2 among them) is tested without a kernel
# in test_exercises.py; grading hands in only these quick notebooks, since notebook 08 trains before its last check.


# The notebooks the partly wrong student hands in: those holding a mistake. Grading the right notebooks again would
# repeat the correct submission's runs (each notebook run starts a kernel that imports TensorFlow).
PARTLY_WRONG_NOTEBOOKS = sorted({notebook for notebook, *_ in MISTAKES} | {"02_generator"})  # 02: grid unwritten


def read(path):
    return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))


def solved(name):
    """The student notebook ``name`` with every solution region as in the solution notebook."""
    solutions = {assignments.nbgrader(c).get("grade_id"): c for c in read(NOTEBOOKS / f"{name}.ipynb")["cells"]}
    notebook = read(RELEASED / f"{name}.ipynb")
    for cell in notebook["cells"]:
        if assignments.nbgrader(cell).get("solution"):
            source = "".join(solutions[assignments.nbgrader(cell)["grade_id"]]["source"])
            cell["source"] = assignments.without_solution_markers(source)
    return notebook


def partly_wrong(name):
    notebook = solved(name)
    released = {assignments.nbgrader(c).get("grade_id"): c for c in read(RELEASED / f"{name}.ipynb")["cells"]}
    for cell in notebook["cells"]:
        grade_id = assignments.nbgrader(cell).get("grade_id")
        for mistake_notebook, mistake_cell, right, wrong in MISTAKES:
            if (mistake_notebook, mistake_cell) == (name, grade_id):
                source = "".join(cell["source"])
                assert right in source, (name, grade_id, right)
                cell["source"] = source.replace(right, wrong)
        if grade_id == "grid":
            cell["source"] = released["grid"]["source"]
        if grade_id == "check_grid":
            cell["source"] = "pass"
    return notebook


def write_example_submissions(folder, handed_in=None):
    """Write folder/correct, folder/partly_wrong and folder/empty; return the folder.

    ``handed_in`` maps a student to the notebooks they submit, for a quicker grading (each notebook starts a kernel);
    by default the correct and the empty student submit every notebook, the partly wrong one PARTLY_WRONG_NOTEBOOKS.
    """
    folder = pathlib.Path(folder)
    names = [path.stem for path in sorted(RELEASED.glob("*.ipynb"))]
    handed_in = {"correct": names, "partly_wrong": PARTLY_WRONG_NOTEBOOKS, "empty": names, **(handed_in or {})}
    students = {
        "correct": {name: solved(name) for name in names if name in handed_in["correct"]},
        "partly_wrong": {name: partly_wrong(name) for name in names if name in handed_in["partly_wrong"]},
        "empty": {name: read(RELEASED / f"{name}.ipynb") for name in names if name in handed_in["empty"]},
    }
    for student, notebooks in students.items():
        (folder / student).mkdir(parents=True, exist_ok=True)
        for name, notebook in notebooks.items():
            (folder / student / f"{name}.ipynb").write_text(assignments.notebook_text(notebook), encoding="utf-8")
    return folder


if __name__ == "__main__":
    target = write_example_submissions(sys.argv[1])
    sys.exit(assignments.main(["grade", str(target)]))
