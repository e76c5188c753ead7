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


def test_fast_mode_reads_the_variable(monkeypatch):
    monkeypatch.setenv(runtime.FAST_MODE_VARIABLE, "1")
    assert runtime.fast_mode()
    monkeypatch.setenv(runtime.FAST_MODE_VARIABLE, "0")
    assert not runtime.fast_mode()


def test_runs_dir_is_runs_by_default_and_follows_the_variable(monkeypatch, tmp_path):
    # Fails if the default moved (the committed notebook outputs that print "runs/..." would no longer match) or the
    # variable were ignored (a Colab user's runs would not reach Google Drive).
    monkeypatch.delenv(runtime.RUNS_DIR_VARIABLE, raising=False)
    assert runtime.runs_dir("05_fast") == os.path.join("runs", "05_fast") and runtime.runs_dir() == "runs"
    monkeypatch.setenv(runtime.RUNS_DIR_VARIABLE, str(tmp_path))
    assert runtime.runs_dir("10_fast", "sevens.npz") == str(tmp_path / "10_fast" / "sevens.npz")
    monkeypatch.setenv(runtime.RUNS_DIR_VARIABLE, "~/drive-runs")
    assert runtime.runs_dir("x") == os.path.join(os.path.expanduser("~"), "drive-runs", "x")


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
