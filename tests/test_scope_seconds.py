"""The order in which the test processes take the files: costliest first, from a ``--durations=0`` report."""

import json
import pathlib

import pytest

import scope_seconds  # tests/scope_seconds.py: pytest puts tests/ on the path (rootdir-relative imports)

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_a_durations_report_is_summed_per_file_and_notebook_costliest_first():
    report = ["============ slowest durations ============",
              "3.50s call     tests/test_a.py::test_one[x]",
              "1.30s setup    tests/test_a.py::test_one[x]",
              "9.00s call     notebooks/09_stabilizing_gans.ipynb::Cell 23",
              "0.75s teardown tests/test_b.py::TestThing::test_two",
              "(12 durations < 0.005s hidden.  Use -vv to show these durations.)",
              "= 3 passed in 15.00s ="]
    seconds = scope_seconds.scope_seconds(report)
    assert seconds == {"notebooks/09_stabilizing_gans.ipynb": 9.0, "tests/test_a.py": 4.8, "tests/test_b.py": 0.8}  # to 0.1 s
    assert list(seconds) == ["notebooks/09_stabilizing_gans.ipynb", "tests/test_a.py", "tests/test_b.py"]


def test_the_record_names_files_that_exist_and_the_collection_follows_it(request):
    recorded = json.loads(scope_seconds.PATH.read_text(encoding="utf-8"))
    assert all((ROOT / scope).exists() for scope in recorded), [s for s in recorded if not (ROOT / s).exists()]
    # This session's own items, as the conftest ordered them: files in the record by falling cost, each file whole.
    scopes = [item.nodeid.split("::")[0] for item in request.session.items]
    order = list(dict.fromkeys(scopes))
    assert len(order) == len(set(order)) and sum(1 for a, b in zip(scopes, scopes[1:]) if a != b) == len(order) - 1
    costs = [recorded.get(scope, 0.0) for scope in order]
    assert costs == sorted(costs, reverse=True)


def test_the_same_hook_still_marks_the_tests_of_slow_fixtures_slow(request):
    # conftest's one pytest_collection_modifyitems does both: a second hook of that name in the module replaced the
    # first, and make test-quick ran the tests of slow fixtures.
    import conftest

    slow_fixture = [item for item in request.session.items
                    if conftest.SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))]
    if not slow_fixture:  # make test-quick (-m "not slow") or a run of a few files: none to check
        pytest.skip("no test of a slow fixture in this run")
    assert all(item.get_closest_marker("slow") for item in slow_fixture)
