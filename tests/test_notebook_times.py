"""Every long cell says, before it runs, how long it takes; notebooks 08 to 12 state their total time at the top.

The committed notebooks carry the outputs of a full-mode run on a 2-core CPU, and each code cell's
``metadata.execution`` holds the nbclient timestamps of that run (``iopub.execute_input`` and
``shell.execute_reply``). A code cell that ran longer than ``LONG_SECONDS`` there must follow a markdown cell that
names a duration ("about 5 minutes", "25 s per epoch", ...).

This covers the cells that were long in the committed run. Cells that only loaded results trained earlier (notebook
9's comparisons, the CycleGAN of notebook 11, the two runs of notebook 12) ran in seconds there; their statements,
computed from the budgets and speeds in their code and outputs, were written by hand and are not checked here.
Reads JSON only: no TensorFlow, no kernel.
"""

import datetime
import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
LONG_SECONDS = 30
DURATION = re.compile(r"\d+(\.\d+)? ?(s|seconds?|minutes?|min|hours?)\b|about (an?|\w+) (minutes?|hours?)", re.I)
TOTALS_REQUIRED = ["08", "09", "10", "11", "12"]


def timestamp(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def recorded_seconds(cell):
    """How long ``cell`` ran in the committed run, from its nbclient timestamps; None where it has none."""
    execution = cell.get("metadata", {}).get("execution", {})
    if "iopub.execute_input" not in execution or "shell.execute_reply" not in execution:
        return None
    return (timestamp(execution["shell.execute_reply"]) - timestamp(execution["iopub.execute_input"])).total_seconds()


def long_cells_without_time(notebook):
    """(code cell number, seconds, first line) of each long cell whose previous cell states no duration."""
    cells, missing, code_number = notebook["cells"], [], -1
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        code_number += 1
        seconds = recorded_seconds(cell)
        if seconds is None or seconds <= LONG_SECONDS:
            continue
        previous = cells[index - 1] if index else None
        if previous is None or previous["cell_type"] != "markdown" or not DURATION.search("".join(previous["source"])):
            missing.append((code_number, round(seconds), "".join(cell["source"]).splitlines()[0]))
    return missing


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_every_long_cell_says_how_long_it_takes(path):
    notebook = json.loads(path.read_text())
    assert not long_cells_without_time(notebook), (
        f"{path.name}: these code cells (numbered from 0) ran longer than {LONG_SECONDS} s in the committed run and the "
        f"markdown cell right before each states no time: {long_cells_without_time(notebook)}")


def test_the_committed_run_has_timestamps_and_long_cells():
    """The check above means something only if the committed notebooks carry the run's timestamps."""
    long = [(path.name, cell) for path in NOTEBOOKS for cell in json.loads(path.read_text())["cells"]
            if cell["cell_type"] == "code" and (recorded_seconds(cell) or 0) > LONG_SECONDS]
    assert len(long) >= 5, long


@pytest.mark.parametrize("number", TOTALS_REQUIRED)
def test_notebooks_8_to_12_state_their_full_and_smoke_totals_at_the_top(number):
    (path,) = (ROOT / "notebooks").glob(f"{number}_*.ipynb")
    cells = json.loads(path.read_text())["cells"]
    top = [cell for cell in cells[:3] if cell["cell_type"] == "markdown"][:2]  # the first markdown cell or the next
    lines = [line for cell in top for line in "".join(cell["source"]).split("\n\n")
             if "**Time:**" in line and "smoke scale" in line]
    assert lines, f"{path.name}: no paragraph near the top with the total time of a full run and at the smoke scale"
    assert all(len(DURATION.findall(line)) >= 2 for line in lines), lines


def top_time(path):
    """The first duration of the notebook's "**Time:**" paragraph: its full run."""
    cells = json.loads(path.read_text())["cells"]
    for cell in cells[:3]:
        text = "".join(cell["source"])
        if "**Time:**" in text:
            return re.search(r"about (\d+ hours? \d+ minutes|[\d.]+ (s|minutes?))", text).group(1)
    return None


def test_the_readme_gives_each_notebook_the_time_it_states_at_its_top():
    readme = (ROOT / "README.md").read_text()
    rows = dict(re.findall(r"^\| \[(\w+)\]\(notebooks/\w+\.ipynb\) \|.*\| ([^|]+) \|$", readme, re.M))
    assert sorted(rows) == [path.stem for path in NOTEBOOKS]
    assert {name: time.strip() for name, time in rows.items()} == {path.stem: top_time(path) for path in NOTEBOOKS}
