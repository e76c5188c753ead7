"""Student notebooks built from the solution notebooks, and grading of submitted ones.

A solution notebook (``notebooks/NN_name.ipynb``) marks what a student writes the way
nbgrader does: the code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` lines, in a
cell whose metadata says ``"nbgrader": {"solution": true, ...}``; the graded cell after it
calls a check from ``gan_tutorial.exercises`` and says ``"grade": true, "points": N``.

``build`` writes ``notebooks/exercises/NN_name.ipynb`` for every notebook with such cells:
each solution region becomes ``# YOUR CODE HERE`` and ``raise NotImplementedError(...)`` at the
same indentation (the ``def`` line and docstring stay), outputs and execution counts are
cleared. The same solutions give the same bytes, so the committed copies can be compared.

``grade`` runs every submitted notebook in a fresh kernel, up to its last graded cell, with
the graded cells as released (a student cannot edit a check away, as in nbgrader), and
scores each graded cell: full points if it ran without error, else 0 and the check's message.

    python -m gan_tutorial.exercises build [--notebooks DIR] [--out DIR]
    python -m gan_tutorial.exercises grade SUBMISSIONS [--json PATH] [--jobs N]

(also ``gan-tutorial exercises ...``). SUBMISSIONS holds one folder per student with their
notebooks, named as released; or it is one student's folder of notebooks.
"""

import argparse
import ast
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from gan_tutorial import runtime

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
EXERCISE_FOLDER = "exercises"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
PLACEHOLDER = "# YOUR CODE HERE"
SYNCED_HEADER = re.compile(r"^# From gan_tutorial/\w+\.py.*\n")
EXERCISE_HEADER = "# Exercise: write your code where it says YOUR CODE HERE, run this cell, then the check below it.\n"
INTRO = """**Exercise version of notebook {name}.** Where a cell says `YOUR CODE HERE`, write the code
(until you do, it raises `NotImplementedError`). Run that cell, then the graded check cell after it: the check tries
your code on small inputs and says what works or what to fix. It tests what your code does, not how it is written,
so any correct answer passes. The text around the exercises explains what to build.

*For instructors: generated from `notebooks/{name}.ipynb` by `make exercises`; edit that notebook, not this copy.*"""


def nbgrader(cell):
    """The cell's nbgrader metadata (an empty dict if it has none)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def is_graded(cell):
    return bool(nbgrader(cell).get("grade"))


def without_solution_markers(source):
    """The source with the ``### BEGIN SOLUTION`` / ``### END SOLUTION`` lines dropped: the solution as it runs."""
    return "".join(line for line in source.splitlines(keepends=True) if line.strip() not in (BEGIN, END))


def _enclosing_function(lines, indent):
    for line in reversed(lines):
        match = re.match(r"(\s*)(?:async\s+)?def\s+(\w+)", line)
        if match and len(match.group(1)) < len(indent):
            return match.group(2)
    return None


def student_source(source):
    """The source with each solution region replaced by a placeholder that raises NotImplementedError."""
    kept, region = [], None
    for number, line in enumerate(source.splitlines(keepends=True), 1):
        marker = line.strip()
        if marker == BEGIN:
            if region is not None:
                raise ValueError(f"line {number}: {BEGIN} inside another solution region")
            region = line[: len(line) - len(line.lstrip())]
            function = _enclosing_function(kept, region)
            what = f"write {function}" if function else "write this part"
            kept += [f"{region}{PLACEHOLDER}\n", f'{region}raise NotImplementedError("{what}")\n']
        elif marker == END:
            if region is None:
                raise ValueError(f"line {number}: {END} without {BEGIN}")
            region = None
        elif region is None:
            kept.append(line)
    if region is not None:
        raise ValueError(f"{BEGIN} without {END}")
    text = "".join(kept)
    return text if source.endswith("\n") else text.removesuffix("\n")


def _source_lines(text):
    return text.splitlines(keepends=True)


def student_cell(cell):
    """A copy of a cell for the student notebook: solution regions replaced, outputs and run data cleared."""
    cell = json.loads(json.dumps(cell))
    cell.get("metadata", {}).pop("execution", None)
    if cell["cell_type"] != "code":
        return cell
    cell["outputs"], cell["execution_count"] = [], None
    source = "".join(cell["source"])
    if BEGIN in source:
        if not nbgrader(cell).get("solution"):
            raise ValueError(f"cell {cell.get('id')} has {BEGIN} but no nbgrader metadata with \"solution\": true")
        cell["source"] = _source_lines(SYNCED_HEADER.sub(EXERCISE_HEADER, student_source(source), count=1))
    return cell


def has_exercises(notebook):
    return any(nbgrader(cell).get("solution") for cell in notebook["cells"])


def _tasks(source):
    """(name, first docstring line) of each function or method holding a solution region in ``source``."""
    lines = source.splitlines()
    begins = [number for number, line in enumerate(lines, 1) if line.strip() == BEGIN]
    tree = ast.parse(source)  # the markers are comments
    tasks = []

    def visit(node, owner=None):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, child)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if any(child.lineno < number <= child.end_lineno for number in begins):
                    name = f"{owner.name}.{child.name}" if owner else child.name
                    doc = ast.get_docstring(child) or (ast.get_docstring(owner) if owner else None) or ""
                    tasks.append((name, doc.strip().splitlines()[0] if doc.strip() else ""))
    visit(tree)
    return tasks


def task_cell(cell):
    """A Markdown cell opening an exercise: "Your task:" and what each function to write does."""
    tasks = _tasks("".join(cell["source"]))
    parts = [f"`{name}`" + (f" ({what.rstrip('.')})" if what else "") for name, what in tasks]
    text = f"**Your task:** complete {'; and '.join(parts) or 'the cell below'} where it says `YOUR CODE HERE`."
    return {"cell_type": "markdown", "id": f"task-{cell.get('id', 'cell')}", "metadata": {},
            "source": _source_lines(text + " Then run the check in the cell after it.")}


def student_notebook(notebook, name):
    """The student version of a solution notebook (a dict in nbformat 4); each exercise opens with "Your task:"."""
    intro = {"cell_type": "markdown", "id": "exercise-intro", "metadata": {},
             "source": _source_lines(INTRO.format(name=name))}
    cells = [intro]
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code" and BEGIN in "".join(cell["source"]):
            cells.append(task_cell(cell))
        cells.append(student_cell(cell))
    return {**notebook, "cells": cells}


def notebook_text(notebook):
    """A notebook as nbformat writes it: sorted keys, indent 1, UTF-8, a final newline."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def build(notebooks=NOTEBOOKS, out=None):
    """Write the student version of every solution notebook with exercises; return the written paths."""
    notebooks = pathlib.Path(notebooks)
    out = pathlib.Path(out) if out else notebooks / EXERCISE_FOLDER
    sources = sorted(notebooks.glob("*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"No notebooks in {notebooks}. The solution notebooks live in the repository's "
                                "notebooks/ folder; pass --notebooks DIR.")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sources:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        if has_exercises(notebook):
            target = out / path.name
            target.write_text(notebook_text(student_notebook(notebook, path.stem)), encoding="utf-8")
            written.append(target)
    return written


def _error_message(cell):
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            if output.get("ename") == "ExerciseFailed":
                return output.get("evalue", "")
            return f"{output.get('ename')}: {output.get('evalue')}"
    return None


def _run(notebook, timeout):
    """Run a notebook (an nbformat dict) in a fresh kernel at the smoke scale, in a scratch folder; errors are kept."""
    try:
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import DeadKernelError
    except ImportError as error:
        raise RuntimeError("Grading runs notebooks with nbclient: pip install -e '.[notebooks]'.") from error
    node = nbformat.reads(json.dumps(notebook), as_version=4)
    with tempfile.TemporaryDirectory(prefix="gan_tutorial_grade_") as folder:
        client = NotebookClient(node, timeout=timeout, kernel_name="python3", allow_errors=True,
                                interrupt_on_timeout=True, resources={"metadata": {"path": folder}})
        try:
            # The kernel's own stderr holds only start-up notices; the cells' output comes back in the notebook.
            smoke = {runtime.SMOKE_VARIABLE: str(runtime.SMOKE_FOR_TESTS)}
            client.execute(env={**os.environ, **smoke}, stderr=subprocess.DEVNULL)
        except DeadKernelError as error:
            return node, f"the kernel died ({error})"
    return node, None


def grade_notebook(path, released, timeout=600):
    """Run one submitted notebook; return {exercise: {points, max_points, message}} for its graded cells."""
    checks = {nbgrader(c)["grade_id"]: c for c in released["cells"] if is_graded(c)}
    submitted = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    cells = submitted["cells"]
    graded_at = [i for i, cell in enumerate(cells) if is_graded(cell) and nbgrader(cell).get("grade_id") in checks]
    for i in graded_at:
        cells[i]["source"] = checks[nbgrader(cells[i])["grade_id"]]["source"]
    ran, failure = _run({**submitted, "cells": cells[: max(graded_at, default=-1) + 1]}, timeout)
    ran_cells = {nbgrader(c).get("grade_id"): c for c in ran.cells if is_graded(c)}
    results = {}
    for grade_id, check in checks.items():
        points, cell = nbgrader(check)["points"], ran_cells.get(grade_id)
        if cell is None:
            message = "the graded cell is missing from the submitted notebook"
        elif cell.get("execution_count") is None:
            message = f"did not run: {failure or 'an earlier cell stopped the notebook'}"
        else:
            message = _error_message(cell)
        results[grade_id.removeprefix("check_")] = {"points": 0 if message else points, "max_points": points,
                                                    "message": message or ""}
    return results


def student_folders(submissions):
    """``[(student, folder)]``: the sub-folders of ``submissions``, or the folder itself if it holds notebooks."""
    submissions = pathlib.Path(submissions)
    if not submissions.is_dir():
        raise FileNotFoundError(f"{submissions} is not a folder of submissions.")
    if any(submissions.glob("*.ipynb")):
        return [(submissions.name, submissions)]
    return [(folder.name, folder) for folder in sorted(submissions.iterdir())
            if folder.is_dir() and not folder.name.startswith(".")]


def default_jobs():
    """How many notebooks ``grade`` runs at once: one per CPU core, at most 4 (each kernel imports TensorFlow)."""
    return max(1, min(4, os.cpu_count() or 1))


def grade(submissions, released=None, timeout=600, log=None, jobs=None):
    """Grade every student's notebooks against the released student notebooks; return the report as a dict.

    ``jobs`` notebooks run at once, each in its own kernel (default: ``default_jobs()``). A student's
    ``seconds`` add up the running times of their notebooks; the report's ``seconds`` is the wall time.
    """
    released = pathlib.Path(released) if released else NOTEBOOKS / EXERCISE_FOLDER
    notebooks = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(released.glob("*.ipynb"))}
    if not notebooks:
        raise FileNotFoundError(f"No released exercise notebooks in {released}; run the build first.")

    def grade_one(student, folder, name, notebook):
        path = folder / f"{name}.ipynb"
        print(f"grading {student}/{path.name}: {'running' if path.exists() else 'not submitted'}",
              file=log or sys.stderr, flush=True)
        started = time.perf_counter()
        if path.exists():
            return grade_notebook(path, notebook, timeout), time.perf_counter() - started
        return {nbgrader(c)["grade_id"].removeprefix("check_"): {
            "points": 0, "max_points": nbgrader(c)["points"], "message": f"{path.name} was not submitted"}
            for c in notebook["cells"] if is_graded(c)}, 0.0

    started, students = time.perf_counter(), {}
    pool = ThreadPoolExecutor(max_workers=jobs or default_jobs())  # a thread waits on each kernel
    try:
        futures = {student: {name: pool.submit(grade_one, student, folder, name, notebook)
                             for name, notebook in notebooks.items()}
                   for student, folder in student_folders(submissions)}
        for student, by_notebook in futures.items():
            exercises, seconds = {}, 0.0
            for name, future in by_notebook.items():  # in notebook order, whichever finished first
                results, run_seconds = future.result()
                exercises.update({key: {"notebook": name, **value} for key, value in results.items()})
                seconds += run_seconds
            students[student] = {"points": sum(e["points"] for e in exercises.values()),
                                 "max_points": sum(e["max_points"] for e in exercises.values()),
                                 "seconds": round(seconds, 1), "exercises": exercises}
    finally:  # on Ctrl-C or an error, start no more notebooks (the running ones finish)
        pool.shutdown(wait=False, cancel_futures=True)
    return {"submissions": str(submissions), "seconds": round(time.perf_counter() - started, 1),
            "jobs": jobs or default_jobs(), "students": students}


def format_report(report):
    """The report as text: a table of points (a row per student, a column per exercise), then what failed."""
    students = report["students"]
    if not students:
        return f"No submissions in {report['submissions']}."
    names = list(next(iter(students.values()))["exercises"])
    header = ["student", *names, "total"]
    rows = [[student, *(f"{e['points']}/{e['max_points']}" for e in s["exercises"].values()),
             f"{s['points']}/{s['max_points']}"] for student, s in students.items()]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
             for row in [header, *rows]]
    for student, s in students.items():
        failed = [(name, e) for name, e in s["exercises"].items() if e["message"]]
        lines += ["", f"{student}: {s['points']}/{s['max_points']} points; its notebooks ran for {s['seconds']} s"]
        lines += [f"  {name} (0/{e['max_points']}): {e['message']}" for name, e in failed]
    if "seconds" in report:
        lines += ["", f"Graded in {report['seconds']} s, {report['jobs']} notebook(s) at a time."]
    return "\n".join(lines)


def add_arguments(parser):
    """The ``build`` and ``grade`` sub-commands, on an argparse parser."""
    commands = parser.add_subparsers(dest="exercises_command", required=True)
    build_parser = commands.add_parser("build", help="write the student notebooks to notebooks/exercises/")
    build_parser.add_argument("--notebooks", default=NOTEBOOKS, help="folder of solution notebooks")
    build_parser.add_argument("--out", help="where to write them (default: NOTEBOOKS/exercises)")
    grade_parser = commands.add_parser("grade", help="run submitted notebooks and their checks; print a table")
    grade_parser.add_argument("submissions", help="a folder with one folder of notebooks per student")
    grade_parser.add_argument("--released", help="the student notebooks as handed out (default: notebooks/exercises)")
    grade_parser.add_argument("--json", help="where to write the report as JSON (default: SUBMISSIONS/grades.json)")
    grade_parser.add_argument("--timeout", type=float, default=600, help="seconds per cell")
    grade_parser.add_argument("--jobs", type=int, default=None,
                              help=f"notebooks graded at once, each in its own kernel (default here: {default_jobs()})")


def run(args):
    if args.exercises_command == "build":
        for path in build(args.notebooks, args.out):
            print(f"Wrote {path}")
        return 0
    if args.jobs is not None and args.jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {args.jobs}.")
    report = grade(args.submissions, args.released, args.timeout, jobs=args.jobs)
    json_path = args.json or os.path.join(args.submissions, "grades.json")
    with open(json_path, "w", encoding="utf-8") as f:
        f.write(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    print(format_report(report))
    print(f"\nWrote {json_path}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m gan_tutorial.exercises",
                                     description="Build the student notebooks, or grade submitted ones.")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except (FileNotFoundError, ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
