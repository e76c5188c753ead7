"""Shared fixtures. Tests run at the smoke scale (``GAN_TUTORIAL_SMOKE``) and never touch the user's cache or runs.

Every test process (each pytest-xdist worker, and the notebooks' kernels, which inherit the environment) shares one
cache folder, so a speed choice is made once per test run. With several workers, TensorFlow gets
an equal share of the CPU cores in each (``GAN_TUTORIAL_THREADS``), so that they do not fight over them.
"""

import os
import tempfile

# Before gan_tutorial is imported (its import starts TensorFlow, which reads the thread setting below once).
# The smoke scale: runtime.SMOKE_VARIABLE at runtime.SMOKE_FOR_TESTS, as `make test` sets it (test_runtime checks).
os.environ.setdefault("GAN_TUTORIAL_SMOKE", "100")
os.environ.setdefault("GAN_TUTORIAL_CACHE_DIR", tempfile.mkdtemp(prefix="gan_tutorial_cache_"))
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if _WORKERS > 1:
    os.environ.setdefault("GAN_TUTORIAL_THREADS", str(max(1, (os.cpu_count() or 1) // _WORKERS)))

import gan_tutorial  # noqa: E402, F401  (quiet TensorFlow import before anything else loads it)
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gan_tutorial import data  # noqa: E402


@pytest.fixture(scope="session")
def mnist_small():
    """The first 1024 MNIST training images in [-1, 1] (1024, 28, 28, 1) and their labels."""
    return data.load_images("mnist", "train", limit=1024)


@pytest.fixture(scope="session")
def mnist_classifier():
    """The MNIST classifier the package ships (what the notebooks and ``gan-tutorial evaluate`` load), and its
    accuracy on the 10,000 test digits."""
    from gan_tutorial.classifier import load_classifier

    model = load_classifier("mnist")
    images, labels = data.load_images("mnist", "test")
    accuracy = float((model.predict(images, batch_size=500, verbose=0).argmax(axis=1) == labels).mean())
    return model, accuracy


@pytest.fixture(scope="session")
def horse_folder(tmp_path_factory):
    """A folder of 300 real pictures: CIFAR-10 training horses as 32 x 32 PNG files."""
    folder = tmp_path_factory.mktemp("horses")
    data.write_class_folder("cifar10", "horse", str(folder), limit=300)
    return folder


@pytest.fixture
def small_config():
    from gan_tutorial.training import TrainConfig

    return TrainConfig.for_dataset("mnist", epochs=1, batch_size=64, width=16, compile_mode="graph", n_samples=16)


def assert_in_model_range(images):
    assert images.dtype == np.float32
    assert images.min() >= -1.0 and images.max() <= 1.0


# Fixtures that train a model, a classifier or a run, grade notebooks or start processes: a test that uses one is slow.
SLOW_FIXTURES = {"horse_folder", "grading", "trained_run", "conditional_run", "cycle_run",
                 "comparisons", "two_epochs", "run_dir", "course", "trained"}


def pytest_collection_modifyitems(items):
    """Mark ``slow`` every test that uses a slow fixture (``make test-quick`` leaves them out), besides those marked
    by hand: tests that train or start processes themselves. Then order the collection: the costliest files and
    notebooks first (``tests/scope_seconds.json``, from ``make durations``), each one's tests in their own order: with
    ``--dist loadscope --no-loadscope-reorder`` (the Makefile's) the test processes take whole files in this order, so
    neither is left alone with a long notebook at the end. Files not in the record go last."""
    import json
    import pathlib

    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    path = pathlib.Path(__file__).with_name("scope_seconds.json")
    seconds = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    items.sort(key=lambda item: -seconds.get(item.nodeid.split("::")[0], 0.0))  # stable: a file's order is kept
