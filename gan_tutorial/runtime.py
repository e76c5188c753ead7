"""Runtime helpers: a quiet TensorFlow import, device facts, seeding and the smoke scale.

TensorFlow 2.21 prints start-up lines (oneDNN notice, "could not find cuda
drivers", cuInit errors) to the C-level stderr before it reads
``TF_CPP_MIN_LOG_LEVEL``. ``import_tensorflow`` hides exactly those known lines
and passes anything else through, so real errors are never swallowed. Set
``GAN_TUTORIAL_TF_LOGS=1`` to see everything.
"""

import contextlib
import logging
import os
import re
import sys
import tempfile

# The smoke scale: GAN_TUTORIAL_SMOKE=N divides every time budget, epoch and step count, sample count and data size that
# the notebooks pass through `scaled` and `scaled_limit`, so that each notebook's one path (what a student runs) runs
# end to end in about a minute. Unset or 1: the full runs. The tests set SMOKE_FOR_TESTS.
SMOKE_VARIABLE = "GAN_TUTORIAL_SMOKE"
SMOKE_FOR_TESTS = 100
CACHE_DIR_VARIABLE = "GAN_TUTORIAL_CACHE_DIR"
# Where the notebooks keep their run folders (unset: "runs", beside the notebook); e.g. a Google Drive folder on Colab.
RUNS_DIR_VARIABLE = "GAN_TUTORIAL_RUNS_DIR"
# How many CPU threads TensorFlow may use for one op and across ops (unset: all cores). `make test` sets it to 1
# when its test workers run side by side, so that two workers on two cores do not fight over them.
THREADS_VARIABLE = "GAN_TUTORIAL_THREADS"

_STARTUP_NOISE = re.compile(
    r"All log messages before absl::InitializeLog|oneDNN custom operations are on"
    r"|Could not find cuda drivers|failed call to cuInit|Unable to register cu(DNN|FFT|BLAS)"
    r"|computation placer already registered|TF-TRT Warning|This TensorFlow binary is optimized"
    r"|To enable the following instructions|rebuild TensorFlow with the appropriate compiler flags"
)


@contextlib.contextmanager
def _filtered_stderr():
    """Capture C-level stderr (fd 2); replay every line that is not known start-up noise."""
    sys.stderr.flush()
    saved_fd = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
            capture.seek(0)
            kept = [
                line
                for line in capture.read().decode(errors="replace").splitlines(keepends=True)
                if not _STARTUP_NOISE.search(line)
            ]
            sys.stderr.write("".join(kept))


def import_tensorflow():
    """Import TensorFlow without its start-up log noise and return the module."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules or os.environ.get("GAN_TUTORIAL_TF_LOGS") == "1":
        import tensorflow as tf
    else:
        with _filtered_stderr():
            import tensorflow as tf

            tf.config.list_physical_devices()  # triggers the CUDA probe while we filter
    threads = os.environ.get(THREADS_VARIABLE)
    if threads:  # before TensorFlow starts its runtime, which reads the setting once
        try:
            tf.config.threading.set_intra_op_parallelism_threads(int(threads))
            tf.config.threading.set_inter_op_parallelism_threads(int(threads))
        except RuntimeError:  # the runtime had started (TensorFlow was imported and used before): keep its threads
            pass
    # Grappler's remapper fails on LeakyReLU gradients ("remapper failed: ... fanout")
    # and logs an error every trace; turning it off measured no slower on CPU.
    tf.config.optimizer.set_experimental_options({"remapping": False})
    logger = tf.get_logger()
    if not any(isinstance(f, _DropRetracingWarnings) for f in logger.filters):
        logger.addFilter(_DropRetracingWarnings())
    return tf


class _DropRetracingWarnings(logging.Filter):
    """Drop TensorFlow's "N out of the last M calls ... triggered tf.function retracing" warnings.

    Keras retraces its predict and train functions when a notebook builds a new model or predicts
    batches of another size, as the experiments do on purpose; the warning's advice does not apply.
    """

    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


def smoke_scale():
    """The smoke divisor: 1 for the full runs (``GAN_TUTORIAL_SMOKE`` unset or 1), else the whole number it holds."""
    value = os.environ.get(SMOKE_VARIABLE, "").strip()
    if value in ("", "0", "1"):
        return 1
    if not value.isdigit():
        raise ValueError(f"{SMOKE_VARIABLE} must be a whole number (the divisor, e.g. 100), not {value!r}")
    return int(value)


def smoke_run():
    """True under a smoke scale (``GAN_TUTORIAL_SMOKE`` above 1): the tests, and CI's runs of the notebooks."""
    return smoke_scale() > 1


def scaled(n, minimum=1):
    """``n`` in a full run; ``n`` divided by the smoke scale, and at least ``minimum``, under one.

    For every time budget (seconds), epoch or step count and sample count a notebook uses: ``scaled(300)`` is 300 in a
    full run and 3 under ``GAN_TUTORIAL_SMOKE=100``. Whole numbers stay whole (rounded); ``minimum`` keeps a count
    large enough to mean something (a batch to train on, samples enough for a statistic).
    """
    divisor = smoke_scale()
    if divisor == 1:
        return n
    value = max(minimum, n / divisor)
    return round(value) if isinstance(n, int) else float(value)


def scaled_limit(full_size, minimum=256):
    """The ``limit`` of images to load: ``None`` (all of them) in a full run, ``full_size`` / smoke scale (at least
    ``minimum``) under one. ``full_size``: the number of images the full run uses (60,000 for MNIST's training set)."""
    return None if smoke_scale() == 1 else scaled(int(full_size), minimum)


def describe_device(strategy=None):
    """One line saying where training runs, e.g. 'GPU: NVIDIA T4' or 'CPU (2 threads), no GPU found'.

    With a ``tf.distribute`` strategy of several replicas or workers, it adds how many
    replicas train and on which devices, e.g. '; 2 replicas: CPU:0, CPU:1 (MirroredStrategy)'.
    """
    tf = import_tensorflow()
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        names = [tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus]
        line = "GPU: " + ", ".join(names)
    else:
        line = f"CPU ({os.cpu_count()} threads), no GPU found"
    resolver = getattr(strategy, "cluster_resolver", None)
    if strategy is None or (strategy.num_replicas_in_sync == 1 and resolver is None):
        return line
    devices = ", ".join(d.split("device:")[-1] for d in strategy.extended.worker_devices)
    if resolver is None or not resolver.task_type:
        return f"{line}; {strategy.num_replicas_in_sync} replicas: {devices} (MirroredStrategy)"
    workers = sum(len(tasks) for tasks in resolver.cluster_spec().as_dict().values())
    return (f"{line}; {strategy.num_replicas_in_sync} replicas on {workers} workers (MultiWorkerMirroredStrategy), "
            f"this is {resolver.task_type} {resolver.task_id} with {devices}")


def has_gpu():
    """True when TensorFlow sees at least one GPU."""
    return bool(import_tensorflow().config.list_physical_devices("GPU"))


def set_seed(seed):
    """Seed Python, NumPy and TensorFlow/Keras. CPU runs repeat exactly; GPU runs may not."""
    import_tensorflow()
    import keras

    keras.utils.set_random_seed(seed)


def cache_dir():
    """Folder for cached classifiers and speed choices: ``$GAN_TUTORIAL_CACHE_DIR`` or ``~/.cache/gan_tutorial``."""
    return os.environ.get(CACHE_DIR_VARIABLE) or os.path.join(os.path.expanduser("~"), ".cache", "gan_tutorial")


def display_path(path):
    """``path`` as a person writes it: under the home folder as ``~/...`` (so an output names no user's folder)."""
    home = os.path.expanduser("~").rstrip(os.sep)
    path = str(path)
    return "~" + path[len(home):] if home and path.startswith(home + os.sep) else path


_smoke_runs = None


def runs_dir(*names):
    """The notebooks' run folder ``names`` (joined): under ``$GAN_TUTORIAL_RUNS_DIR`` if set, else under ``runs``.

    ``runs_dir("05_train_mnist")`` is ``"runs/05_train_mnist"`` by default, relative to the notebook's folder. On Colab,
    ``%env GAN_TUTORIAL_RUNS_DIR=/content/drive/MyDrive/gan-runs`` keeps the runs on Google Drive, where a training
    run resumes from its last checkpoint after the runtime disconnects. ``runs_dir()`` is the folder itself.

    Under a smoke scale (``GAN_TUTORIAL_SMOKE``), the runs go to a new temporary folder, one per process: a smoke run
    starts from scratch every time and never resumes, or overwrites, a full run of the same name.
    """
    global _smoke_runs
    if smoke_run():
        if _smoke_runs is None:
            _smoke_runs = tempfile.mkdtemp(prefix="gan_tutorial_smoke_runs_")
        return os.path.join(_smoke_runs, *names)
    return os.path.join(os.path.expanduser(os.environ.get(RUNS_DIR_VARIABLE) or "runs"), *names)


@contextlib.contextmanager
def exclusive(path):
    """Hold an exclusive lock on ``path``.lock while the block runs.

    Another process that wants the same cached file (a second test worker, a notebook beside a script) waits
    here, then finds the file made, instead of making it a second time. Without ``fcntl`` (Windows), no lock.
    """
    try:
        import fcntl
    except ImportError:
        fcntl = None
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(f"{path}.lock", "w") as lock:
        if fcntl:
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield  # the lock goes with the file's closing


def replace_atomically(path, write, suffix=""):
    """Write a file through ``write(temporary_path)``, then move it to ``path`` in one step: a reader never sees half.

    ``suffix``: an ending the writer needs on the temporary file's name (``.keras`` for Keras models).
    """
    temporary = f"{path}.{os.getpid()}.partial{suffix}"
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)

