"""TensorBoard logs of a run (train --tensorboard): read back from the event files.

A run of 2 epochs of 8 steps with a FID monitor must log d_loss, g_loss, D(x) and D(G(z))
at every step, the FID after every epoch (the values of fid.csv), and the sample grid as
an image before training and after each epoch; a resumed run goes on counting steps.
"""

import dataclasses
import glob

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_tutorial import cli, plots, training
from gan_tutorial.callbacks import FIDMonitor, TensorBoardLog

SCALARS = list(TensorBoardLog.NAMES.values())


def events(run_dir):
    """{tag: {step: value}} from every event file under run_dir/tensorboard: numbers, or images as arrays."""
    found = {}
    for path in sorted(glob.glob(str(run_dir / "tensorboard" / "events.out.tfevents.*"))):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                tensor = tf.make_ndarray(value.tensor)
                if value.metadata.plugin_data.plugin_name == "images":  # [width, height, PNG, ...]
                    tensor = tf.io.decode_png(tensor[2]).numpy()
                else:
                    tensor = float(tensor)
                assert event.step not in found.setdefault(value.tag, {}), (value.tag, event.step)
                found[value.tag][event.step] = tensor
    return found


def fid_monitor(run_dir, images):
    """A FIDMonitor on cheap features (a random projection): any feature model gives an FID."""
    keras.utils.set_random_seed(0)
    features = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(8)])
    return FIDMonitor(features, images[:256], str(run_dir / "fid.csv"), every=1, n=64)


@pytest.mark.slow
def test_a_run_logs_every_step_the_fid_and_the_sample_grids(tmp_path, small_config, mnist_small):
    config = dataclasses.replace(small_config, epochs=2, tensorboard=True)
    images = mnist_small[0][:512]  # 8 steps per epoch
    training.train(config, str(tmp_path), images=images, verbose=False, extra_callbacks=[fid_monitor(tmp_path, images)])
    logged = events(tmp_path)
    assert set(logged) == {*SCALARS, "FID", "samples"}
    log = plots.read_log(tmp_path / "log.csv")
    for key, tag in TensorBoardLog.NAMES.items():
        assert sorted(logged[tag]) == list(range(1, 17))
        np.testing.assert_allclose([logged[tag][step] for step in range(1, 17)], log[key], rtol=1e-4, atol=1e-5)
    fid = plots.read_log(tmp_path / "fid.csv")
    assert sorted(logged["FID"]) == [8, 16]
    np.testing.assert_allclose([logged["FID"][8], logged["FID"][16]], fid["fid"], rtol=1e-4)
    assert sorted(logged["samples"]) == [0, 8, 16]
    expected = plots.grid(np.zeros((16, 28, 28, 1), "float32")).shape  # 16 samples: 4 x 4 with padding
    assert all(image.shape == expected and image.dtype == np.uint8 for image in logged["samples"].values())
    # The last grid is what the trained sampling (EMA) generator draws from the run's fixed noise, and it lies
    # closer to real digits than the first (mean absolute difference, measured 102.5 then 101.8 of 255).
    generator = training.restore_generator(str(tmp_path))
    trained = plots.grid(generator(np.load(tmp_path / "fixed_noise.npy"), training=False).numpy())
    np.testing.assert_array_equal(logged["samples"][16], trained)
    real = plots.grid(images[:16]).astype("float64")
    distance = {step: np.abs(logged["samples"][step] - real).mean() for step in (0, 16)}
    assert distance[16] < distance[0] - 0.2, distance


@pytest.mark.slow
def test_a_resumed_run_goes_on_counting_steps(tmp_path, small_config, mnist_small):
    images = mnist_small[0][:256]  # 4 steps per epoch
    for epochs in (1, 2):
        config = dataclasses.replace(small_config, epochs=epochs, tensorboard=True)
        training.train(config, str(tmp_path), images=images, verbose=False)
    logged = events(tmp_path)  # events() fails on a step logged twice
    assert sorted(logged["loss/generator"]) == list(range(1, 9))
    assert sorted(logged["samples"]) == [0, 4, 8]


@pytest.mark.slow
def test_the_command_line_writes_event_files_with_the_flag_only(tmp_path, capsys):
    assert training.TrainConfig.tensorboard is False
    argv = ["train", "--dataset", "mnist", "--limit", "128", "--batch-size", "64", "--width", "8", "--epochs", "1",
            "--compile", "graph"]
    assert cli.main([*argv, "--out", str(tmp_path / "plain")]) == 0
    assert not (tmp_path / "plain" / "tensorboard").exists()
    assert cli.main([*argv, "--out", str(tmp_path / "logged"), "--tensorboard"]) == 0
    assert training.load_config(str(tmp_path / "logged")).tensorboard is True
    logged = events(tmp_path / "logged")
    assert sorted(logged["loss/generator"]) == [1, 2] and sorted(logged["samples"]) == [0, 2]
