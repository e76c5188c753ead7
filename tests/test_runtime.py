import json
import logging
import os
import pathlib
import subprocess
import sys

import pytest

from gan_tutorial import runtime


@pytest.mark.slow
def test_startup_noise_is_filtered_and_other_lines_kept():
    script = (
        "import os\n"
        "from gan_tutorial.runtime import _filtered_stderr\n"
        "with _filtered_stderr():\n"
        "    os.write(2, b'I0000 port.cc:153] oneDNN custom operations are on. You may see\\n')\n"
        "    os.write(2, b'E0000 cuda_platform.cc:52] failed call to cuInit: INTERNAL\\n')\n"
        "    os.write(2, b'a real problem\\n')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stderr == "a real problem\n"


@pytest.mark.slow
def test_importing_the_package_prints_nothing():
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_CPP")}
    result = subprocess.run([sys.executable, "-c", "import gan_tutorial, tensorflow as tf; tf.constant(1) + 1"],
                            capture_output=True, text=True, env=env, check=True)
    assert result.stdout == "" and result.stderr == ""


def test_the_smoke_scale_divides_the_notebooks_numbers_and_leaves_full_runs_alone(monkeypatch):
    # A full run must get exactly the numbers written in the notebook (its committed outputs come from them); a smoke
    # run each number divided, never below its minimum, whole numbers whole. Fails if the scale multiplied, truncated
    # 3.5 to 3, ignored the minimum, or touched a full run's numbers.
    for unset in (None, "", "1"):
        if unset is None:
            monkeypatch.delenv(runtime.SMOKE_VARIABLE, raising=False)
        else:
            monkeypatch.setenv(runtime.SMOKE_VARIABLE, unset)
        assert runtime.smoke_scale() == 1 and not runtime.smoke_run()
        assert runtime.scaled(300) == 300 and runtime.scaled(7, minimum=50) == 7 and runtime.scaled(900.0) == 900.0
        assert runtime.scaled_limit(60000) is None
    monkeypatch.setenv(runtime.SMOKE_VARIABLE, "100")
    assert runtime.smoke_scale() == 100 and runtime.smoke_run()
    assert runtime.scaled(300) == 3 and isinstance(runtime.scaled(300), int)
    assert runtime.scaled(250) == 2 and runtime.scaled(350) == 4  # rounded to the nearest whole number (half to even)
    assert runtime.scaled(900.0) == 9.0 and runtime.scaled(8) == 1 and runtime.scaled(10000, minimum=500) == 500
    assert runtime.scaled_limit(60000) == 600 and runtime.scaled_limit(5000) == 256
    monkeypatch.setenv(runtime.SMOKE_VARIABLE, "10")
    assert runtime.scaled(300) == 30 and runtime.scaled_limit(60000, minimum=64) == 6000


@pytest.mark.parametrize("value", ["fast", "-3", "0.5"])
def test_a_smoke_scale_that_is_no_whole_number_is_refused_in_one_line(monkeypatch, value):
    monkeypatch.setenv(runtime.SMOKE_VARIABLE, value)
    with pytest.raises(ValueError, match="whole number"):
        runtime.smoke_scale()


def test_runs_dir_is_runs_by_default_and_follows_the_variable(monkeypatch, tmp_path):
    # Fails if the default moved (the committed notebook outputs that print "runs/..." would no longer match) or the
    # variable were ignored (a Colab user's runs would not reach Google Drive).
    monkeypatch.delenv(runtime.SMOKE_VARIABLE, raising=False)
    monkeypatch.delenv(runtime.RUNS_DIR_VARIABLE, raising=False)
    assert runtime.runs_dir("05_train_mnist") == os.path.join("runs", "05_train_mnist") and runtime.runs_dir() == "runs"
    monkeypatch.setenv(runtime.RUNS_DIR_VARIABLE, str(tmp_path))
    assert runtime.runs_dir("10_mnist", "sevens.npz") == str(tmp_path / "10_mnist" / "sevens.npz")
    monkeypatch.setenv(runtime.RUNS_DIR_VARIABLE, "~/drive-runs")
    assert runtime.runs_dir("x") == os.path.join(os.path.expanduser("~"), "drive-runs", "x")


def test_smoke_runs_go_to_a_fresh_folder_apart_from_the_full_runs(monkeypatch, tmp_path):
    # A smoke run written into runs/NAME would be resumed by the student's full run of the same name.
    monkeypatch.setenv(runtime.RUNS_DIR_VARIABLE, str(tmp_path))
    monkeypatch.setenv(runtime.SMOKE_VARIABLE, "100")
    monkeypatch.setattr(runtime, "_smoke_runs", None)
    folder = runtime.runs_dir("05_train_mnist")
    assert not folder.startswith(str(tmp_path)) and not os.path.exists(folder)
    assert os.path.basename(folder) == "05_train_mnist" and runtime.runs_dir("x") == os.path.join(runtime.runs_dir(), "x")
    monkeypatch.setattr(runtime, "_smoke_runs", None)  # another process
    assert runtime.runs_dir() != os.path.dirname(folder)


def test_describe_device_names_the_device():
    assert runtime.describe_device().startswith(("CPU", "GPU"))


def test_the_threads_variable_sets_tensorflows_thread_pools():
    env = {**os.environ, runtime.THREADS_VARIABLE: "1"}
    script = ("import gan_tutorial, tensorflow as tf\n"
              "print(tf.config.threading.get_intra_op_parallelism_threads(),"
              " tf.config.threading.get_inter_op_parallelism_threads())")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.split() == ["1", "1"]


def test_exclusive_makes_a_second_process_wait(tmp_path):
    fcntl = pytest.importorskip("fcntl")
    path = str(tmp_path / "cached.keras")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfrom gan_tutorial.runtime import exclusive\n"
         f"with exclusive({path!r}):\n    print('held', flush=True)\n    sys.stdin.readline()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        with open(f"{path}.lock") as lock:
            with pytest.raises(BlockingIOError):  # held by the other process
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            holder.communicate("done\n", timeout=60)
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released when the holder's block ended
    finally:
        holder.kill()
    assert holder.returncode == 0


def test_replace_atomically_leaves_the_file_whole_or_absent(tmp_path):
    target = tmp_path / "choices.json"

    def fails(temporary):
        pathlib.Path(temporary).write_text("{half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        runtime.replace_atomically(str(target), fails)
    assert list(tmp_path.iterdir()) == []  # no half-written file, no temporary left
    runtime.replace_atomically(str(target), lambda temporary: pathlib.Path(temporary).write_text("{}"))
    assert target.read_text() == "{}" and list(tmp_path.iterdir()) == [target]


def test_retracing_warnings_are_dropped_and_other_warnings_kept():
    import tensorflow as tf

    runtime.import_tensorflow()  # twice: the filter is added once
    logger = tf.get_logger()
    assert sum(type(f).__name__ == "_DropRetracingWarnings" for f in logger.filters) == 1
    seen = []
    handler = logging.Handler()
    handler.emit = seen.append  # on the logger itself: TensorFlow's logger may not pass records on to the root
    logger.addHandler(handler)
    try:
        logger.warning("5 out of the last 13 calls to <function f> triggered tf.function retracing. Tracing is ...")
        logger.warning("another warning")
    finally:
        logger.removeHandler(handler)
    assert [r.getMessage() for r in seen] == ["another warning"]


def test_make_test_and_the_tests_use_the_smoke_scale_the_library_names():
    root = pathlib.Path(__file__).resolve().parent.parent
    setting = f"{runtime.SMOKE_VARIABLE}={runtime.SMOKE_FOR_TESTS}"
    assert setting in (root / "Makefile").read_text()
    assert f'os.environ.setdefault("{runtime.SMOKE_VARIABLE}", "{runtime.SMOKE_FOR_TESTS}")' in (
        root / "tests" / "conftest.py").read_text()


def test_every_notebook_has_one_path_that_the_smoke_scale_shrinks():
    # CI runs the notebooks at the smoke scale; a branch on the scale would leave the student's path untested.
    root = pathlib.Path(__file__).resolve().parent.parent
    branching = {}
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        code = "\n".join(line.split("#")[0] for cell in json.loads(path.read_text())["cells"]
                         if cell["cell_type"] == "code" for line in "".join(cell["source"]).splitlines())
        found = [word for word in ("FAST", "fast_mode", "smoke_run", "smoke_scale", "SMOKE") if word in code]
        if found:
            branching[path.name] = found
    assert not branching, branching


def test_display_path_writes_the_home_folder_as_a_tilde(monkeypatch):
    monkeypatch.setenv("HOME", "/home/ada")
    assert runtime.display_path("/home/ada/.cache/gan_tutorial/c.keras") == "~/.cache/gan_tutorial/c.keras"
    assert runtime.display_path("/home/adam/x") == "/home/adam/x"  # another user's folder, not ada's
    assert runtime.display_path("runs/05") == "runs/05"
