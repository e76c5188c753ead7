"""Each test file's and notebook's summed time from a ``--durations=0`` report: ``python tests/scope_seconds.py
test-durations.txt`` rewrites ``tests/scope_seconds.json`` (``make durations`` runs it).

``conftest.py`` hands the test processes the costliest files first, so that two workers finish together instead of one
waiting for the other's last long notebook (a longest-first order: measured below in notebooks/DEVELOPERS.md)."""

import collections
import json
import pathlib
import re
import sys

PATH = pathlib.Path(__file__).with_name("scope_seconds.json")
LINE = re.compile(r"^([0-9.]+)s\s+(?:call|setup|teardown)\s+(\S+)")


def scope_seconds(lines):
    """{file or notebook: its tests' summed seconds}, from the lines of a ``--durations`` report."""
    seconds = collections.Counter()
    for line in lines:
        match = LINE.match(line)
        if match:
            seconds[match.group(2).split("::")[0]] += float(match.group(1))
    return {scope: round(total, 1) for scope, total in seconds.most_common()}


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as report:
        PATH.write_text(json.dumps(scope_seconds(report), indent=1) + "\n", encoding="utf-8")
