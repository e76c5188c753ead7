"""Issue 16: faults and bad input end in one line, with no traceback, and lose nothing that was saved."""

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from gan_tutorial import checkpoints, classifier, cli, data, faults, metrics, plots

TINY = ["--limit", "256", "--width", "8", "--batch-size", "32", "--compile", "eager"]  # 8 steps per epoch


def run(capsys, *argv):
    """Exit code, stdout and stderr of the command line, which must print no traceback."""
    code = cli.main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def train(capsys, run_dir, *options):
    return run(capsys, "train", "--out", run_dir, *TINY, *options)


def snapshot(folder):
    """Every file under ``folder`` with its size and modification time."""
    return {os.path.join(root, name): (os.stat(os.path.join(root, name)).st_size,
                                       os.stat(os.path.join(root, name)).st_mtime_ns)
            for root, _, names in os.walk(folder) for name in names}


@pytest.fixture(scope="module")
def two_epochs(tmp_path_factory):
    """A run of 2 epochs (checkpoints at steps 8 and 16), to be copied by tests that change it."""
    run_dir = tmp_path_factory.mktemp("two_epochs")
    assert cli.main(["train", "--out", str(run_dir), *TINY, "--epochs", "2"]) == 0
    return run_dir


@pytest.fixture
def run_dir(two_epochs, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(two_epochs, copy)
    return copy


def steps(run_dir):
    return checkpoints.numbers(os.path.join(run_dir, "checkpoints"))


@pytest.mark.parametrize("argv, message", [
    (["train", "--batch-size", "0"], "argument --batch-size: must be a whole number above 0, not 0"),
    (["train", "--d-learning-rate", "nan"], "argument --d-learning-rate: must be a finite number above 0, not nan"),
    (["train", "--g-learning-rate", "-0.001"], "argument --g-learning-rate: must be a finite number above 0, not "
                                               "-0.001"),
    (["train", "--max-seconds", "-1"], "argument --max-seconds: must be a finite number above 0, not -1"),
    (["train", "--epochs", "0"], "argument --epochs: must be a whole number above 0, not 0"),
    (["train", "--width", "0"], "argument --width: must be a whole number above 0, not 0"),
    (["train", "--latent-dim", "-3"], "argument --latent-dim: must be a whole number above 0, not -3"),
    (["train", "--image-size", "0"], "argument --image-size: must be a whole number above 0, not 0"),
    (["train", "--beta-1", "1"], "argument --beta-1: must be a finite number of 0 or more and below 1, not 1"),
    (["train", "--batch-size", "1.5"], "argument --batch-size: invalid int value: '1.5'"),
    (["sample", "--n", "-5", "--out", "x.npz"], "argument --n: must be a whole number above 0, not -5"),
    (["evaluate", "--n", "0"], "argument --n: must be a whole number above 0, not 0"),
])
def test_bad_options_are_refused_by_name(two_epochs, capsys, argv, message):
    before = snapshot(two_epochs)
    argv = [*argv, "--out", str(two_epochs)] if argv[0] == "train" else [argv[0], str(two_epochs), *argv[1:]]
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.strip().endswith(f"error: {message}") and "Traceback" not in err
    assert snapshot(two_epochs) == before


def test_sample_on_a_folder_that_is_not_a_run(tmp_path, capsys):
    code, _, err = run(capsys, "sample", tmp_path, "--out", tmp_path / "x.npz")
    assert code == 2 and err == (f"gan-tutorial sample: error: {tmp_path} is not a training run (it has no "
                                 "config.json): give a folder that 'gan-tutorial train --out' wrote.\n")


def test_divergence_names_the_step_and_the_intact_checkpoint(run_dir, capsys):
    code, _, err = train(capsys, run_dir, "--epochs", "3", "--d-learning-rate", "1e20", "--g-learning-rate", "1e20")
    folder = run_dir / "checkpoints"
    diverged = re.search(r"error: [dg]_loss became (nan|-?inf) at step (\d+): training diverged. Lower the learning "
                         r"rates or add label smoothing. ", err)
    assert code == 1 and len(err.splitlines()) == 1 and diverged and int(diverged[2]) > 16, err
    assert err.endswith(f"In {folder}, the checkpoint of epoch 2 (step 16) is intact: training again resumes "
                        "from it.\n")
    assert steps(run_dir) == [16, 8] and not (run_dir / faults.LOCK_NAME).exists()
    code, out, _ = train(capsys, run_dir, "--epochs", "3")  # the rates of this command, not the checkpoint's
    assert code == 0 and "resuming at epoch 2, step 16" in out and steps(run_dir) == [24, 16]


def damage(run_dir, step):
    with open(run_dir / "checkpoints" / f"ckpt-{step}.data-00000-of-00001", "wb") as f:
        f.write(b"\0" * 100)


def test_a_damaged_checkpoint_falls_back_to_the_one_before(run_dir, capsys, tmp_path):
    damage(run_dir, 16)
    code, out, err = run(capsys, "sample", run_dir, "--n", "4", "--out", tmp_path / "x.npz")
    assert code == 0 and f"the checkpoint {run_dir / 'checkpoints' / 'ckpt-16'} does not load (" in err
    assert err.rstrip().endswith("falling back to the one before it.")
    code, out, err = train(capsys, run_dir, "--epochs", "3")
    assert code == 0 and "ckpt-16 does not load" in err and "resuming at epoch 1, step 8" in out
    assert "(24 steps, 3 epochs" in out and steps(run_dir) == [24, 16]
    code, out, err = train(capsys, run_dir, "--epochs", "4")  # the damaged checkpoint was replaced
    assert code == 0 and err == "" and "resuming at epoch 3, step 24" in out


def test_no_checkpoint_that_loads_is_a_clear_error(run_dir, capsys):
    damage(run_dir, 16)
    damage(run_dir, 8)
    code, _, err = train(capsys, run_dir, "--epochs", "3")
    assert code == 1 and err.splitlines()[-1].startswith(
        f"gan-tutorial train: error: No checkpoint in {run_dir / 'checkpoints'} loads (ckpt-16, ckpt-8; the newest: ")
    assert err.rstrip().endswith("Move the folder aside to start afresh.") and len(err.splitlines()) == 2


def failing(function, error, when=lambda *args: True):
    """``function``, raising ``error`` instead when ``when(*args)``."""
    def wrapper(*args, **kwargs):
        if when(*args):
            raise error
        return function(*args, **kwargs)
    return wrapper


@pytest.mark.parametrize("where", ["write", "rename"])
def test_a_full_disk_keeps_the_checkpoint_before(run_dir, capsys, monkeypatch, where):
    if where == "write":  # as TensorFlow's writer fails on a full file system
        monkeypatch.setattr(tf.train.Checkpoint, "save", failing(
            tf.train.Checkpoint.save, tf.errors.ResourceExhaustedError(None, None, "No space left on device")))
    else:  # the data file is in place, its index is not
        monkeypatch.setattr(os, "replace", failing(os.replace, OSError(errno.ENOSPC, "No space left"),
                                                   when=lambda source, target: str(target).endswith(".index")))
    code, _, err = train(capsys, run_dir, "--epochs", "3")
    folder = run_dir / "checkpoints"
    assert code == 1 and err == (f"gan-tutorial train: error: no space left while saving the checkpoint of epoch 3 "
                                 f"in {folder}; the checkpoint of epoch 2 (step 16) is intact.\n")
    assert steps(run_dir) == [16, 8] and not (folder / checkpoints.PARTIAL).exists()
    monkeypatch.undo()
    code, out, _ = train(capsys, run_dir, "--epochs", "3")
    assert code == 0 and "resuming at epoch 2, step 16" in out and steps(run_dir) == [24, 16]
    assert sorted(os.listdir(folder)) == ["checkpoint", *[f"ckpt-{n}.{end}" for n in (16, 24) for end in
                                                          ("data-00000-of-00001", "index")]]


def test_ctrl_c_while_a_sample_grid_is_written_leaves_no_broken_frame(run_dir, capsys, monkeypatch):
    def interrupted(path, picture):  # the file is begun, then Ctrl-C
        open(path, "wb").close()
        raise KeyboardInterrupt

    monkeypatch.setattr(plots.imageio, "imwrite", interrupted)
    code, out, _ = train(capsys, run_dir, "--epochs", "3")
    assert code == 130 and "Interrupted: saved step 24" in out
    assert sorted(os.listdir(run_dir / "samples")) == [f"epoch_000{n}.png" for n in range(3)]
    monkeypatch.undo()
    code, out, _ = train(capsys, run_dir, "--epochs", "3")
    assert code == 0 and "resuming at epoch 2, step 24" in out and (run_dir / "samples" / "epoch_0003.png").exists()


def environment():
    return {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.dirname(os.path.dirname(cli.__file__)),
                                                         os.environ.get("PYTHONPATH", "")])}


def ctrl_c_works():
    """For a child process: Ctrl-C raises KeyboardInterrupt, as in a terminal.

    A process started in the background of a non-interactive shell (CI scripts, ``nohup make test &``)
    inherits SIGINT as ignored, and Python then installs no handler for it: the child would
    never see the Ctrl-C the test sends (the cause of this test's old hang under CI).
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
def test_a_second_train_into_a_busy_folder_is_refused(tmp_path, tmp_path_factory, capsys):
    errors = tmp_path_factory.mktemp("first_run") / "stderr.txt"  # a file, not a pipe that could fill and block it
    with open(errors, "w") as stderr:
        first = subprocess.Popen([sys.executable, "-m", "gan_tutorial", "train", "--out", str(tmp_path), *TINY,
                                  "--epochs", "10000"], env=environment(), stdout=subprocess.PIPE, stderr=stderr,
                                 text=True, preexec_fn=ctrl_c_works)
    try:
        printed = []
        for line in first.stdout:  # blocks until the first run prints its first epoch's line
            printed.append(line)
            if line.startswith("Epoch 1/"):
                break
        else:
            pytest.fail("the first run ended early:\n" + "".join(printed) + errors.read_text())
        log = (tmp_path / "log.csv").read_text()
        assert len(log.splitlines()) > 8  # a header and at least the first epoch's 8 steps
        code, _, err = train(capsys, tmp_path, "--epochs", "1")
        assert code == 1 and err == (
            f"gan-tutorial train: error: {tmp_path} is in use by another training run (process {first.pid}): wait "
            f"for it to end, or train into another --out folder. If no run uses it, delete "
            f"{tmp_path / faults.LOCK_NAME}.\n")
    finally:
        first.send_signal(signal.SIGINT)  # Ctrl-C: the first run saves and ends
        try:
            out = first.communicate(timeout=120)[0]
        finally:
            first.kill()  # only if it did not end: never leave a training process behind
    err = errors.read_text()
    assert first.returncode == 130 and "Interrupted: saved step" in out and "Traceback" not in err, (out, err)
    assert not (tmp_path / faults.LOCK_NAME).exists() and steps(tmp_path)
    assert (tmp_path / "log.csv").read_text().startswith(log)  # the refused run left the first run's log alone


@pytest.mark.slow
def test_a_stale_lock_is_taken_over(tmp_path, capsys):
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    (tmp_path / faults.LOCK_NAME).write_text(f"{ended.pid}\n")
    code, _, err = train(capsys, tmp_path, "--epochs", "1")
    assert code == 0 and err == (f"gan-tutorial: {tmp_path / faults.LOCK_NAME} was left by process {ended.pid}, "
                                 "which has ended; taking the folder over.\n")
    assert not (tmp_path / faults.LOCK_NAME).exists() and steps(tmp_path) == [8]


@pytest.mark.skipif(faults.boot_id() is None, reason="the machine's boot id is read on Linux only")
def test_a_lock_of_another_boot_is_stale_even_if_its_process_id_lives(tmp_path, capsys):
    # A run folder on a shared drive, locked by a Colab runtime that was recycled: its process id may be that of a live
    # process now (here: this one). Fails if only the process id is compared.
    lock = faults.RunLock(str(tmp_path))
    (tmp_path / faults.LOCK_NAME).write_text(f"{os.getpid()} another-boot\n")
    with lock:
        assert lock.read() == (os.getpid(), faults.boot_id())
    assert "before this machine started (another boot); taking the folder over." in capsys.readouterr().err
    assert not (tmp_path / faults.LOCK_NAME).exists()
    (tmp_path / faults.LOCK_NAME).write_text(f"{os.getpid()} {faults.boot_id()}\n")  # this boot, a live process
    with pytest.raises(faults.RunError, match="is in use by another training run"):
        lock.__enter__()
    (tmp_path / faults.LOCK_NAME).write_text(f"{os.getpid()}\n")  # a lock written before the boot id was kept
    with pytest.raises(faults.RunError, match="is in use by another training run"):
        lock.__enter__()


def test_evaluate_prints_only_json_on_stdout(tmp_path, capsys, monkeypatch):
    shipped = classifier.load_classifier

    def load_classifier(dataset, data_dir=None, **options):  # a notice on stdout, as a download or a training prints
        print(f"Loading the {dataset} classifier, with a progress bar 8/8")
        return shipped(dataset, data_dir, **options)

    monkeypatch.setattr(classifier, "load_classifier", load_classifier)
    monkeypatch.setattr(metrics, "kernel_inception_distance", lambda *args, **options: (0.0, 0.0))  # seconds, silent
    _, (x, _) = data.load_raw("mnist")
    np.savez(tmp_path / "real.npz", images=x[:200, :, :, None])
    code, out, err = run(capsys, "evaluate", tmp_path / "real.npz", "--dataset", "mnist")
    assert code == 0 and json.loads(out)["n"] == 200
    assert "Loading the mnist classifier, with a progress bar 8/8" in err


def test_debug_variable_shows_the_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv(faults.DEBUG_VARIABLE, "1")
    with pytest.raises(FileNotFoundError, match="is not a training run"):
        cli.main(["sample", str(tmp_path), "--out", str(tmp_path / "x.npz")])


def test_a_missing_dataset_shows_its_message_alone_in_a_notebook(tmp_path, monkeypatch, capsys):
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.delenv(faults.DEBUG_VARIABLE, raising=False)
    shell = InteractiveShell.instance()
    try:
        assert faults.show_plainly_in_notebooks(shell)
        shell.user_ns["data_dir"] = str(tmp_path)
        result = shell.run_cell("from gan_tutorial import data\ndata.load_images('mnist', data_dir=data_dir)")
        assert isinstance(result.error_in_exec, data.DataNotFoundError)
        shown = capsys.readouterr().out
        assert "mnist.npz does not exist" in shown and "%env GAN_TUTORIAL_DATA_DIR=/that/folder" in shown
        assert "Traceback" not in shown and "load_raw" not in shown and len(shown.splitlines()) < 12
    finally:
        InteractiveShell.clear_instance()


def test_a_failed_download_hides_the_chain_of_network_errors(monkeypatch):
    def no_network():
        raise OSError("Name or service not known")

    monkeypatch.delenv(data.DATA_DIR_VARIABLE, raising=False)
    monkeypatch.setattr(data.DATASETS["mnist"], "load_data", no_network)
    with pytest.raises(data.DataNotFoundError) as caught:
        data.load_raw("mnist")
    assert caught.value.__suppress_context__ and caught.value.__cause__ is None
    assert "Could not download mnist" in str(caught.value)
