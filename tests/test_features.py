import socket

import keras
import numpy as np
import pytest

from gan_tutorial import data, features
from gan_tutorial.metrics import frechet_distance, kernel_inception_distance


def test_inception_inputs_are_rgb_299_in_inception_range():
    gray = np.concatenate([np.full((1, 28, 28, 1), -1.0), np.full((1, 28, 28, 1), 0.5), np.full((1, 28, 28, 1), 1.0)])
    inputs = keras.ops.convert_to_numpy(features.inception_inputs(gray.astype("float32")))
    assert inputs.shape == (3, 299, 299, 3)
    level = 191 / 127.5 - 1  # 0.5 is 191.25 of 255: an 8-bit image holds 191
    np.testing.assert_allclose(inputs[:, 0, 0, :], [[-1, -1, -1], [level] * 3, [1, 1, 1]], atol=1e-5)
    color = np.broadcast_to(np.array([-1.0, 0.0, 1.0], "float32"), (2, 32, 32, 3))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(features.inception_inputs(color))[:, 100, 200],
                               [[-1, 128 / 127.5 - 1, 1]] * 2, atol=1e-5)  # 0 is level 127.5, rounded to 128


def test_inception_inputs_refuse_other_shapes():
    with pytest.raises(ValueError, match=r"\(N, H, W, 1 or 3\)"):
        features.inception_inputs(np.zeros((2, 28, 28, 2), "float32"))


@pytest.mark.slow
def test_inception_model_gives_2048_features_per_image():
    model = features.inception_model((28, 28, 1), weights=None)  # random weights: no download
    images = np.random.default_rng(0).uniform(-1, 1, (3, 28, 28, 1)).astype("float32")
    one_batch = features.extract(model, images)
    assert one_batch.shape == (3, 2048) and np.isfinite(one_batch).all()
    np.testing.assert_allclose(features.extract(model, images, batch_size=2), one_batch, rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_inception_weights_offline_is_a_clear_error(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("no network in this test")

    import keras.src.backend.config as keras_config  # where keras keeps its home folder

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(tmp_path))
    monkeypatch.setattr(socket, "create_connection", no_network)
    with pytest.raises(features.WeightsNotFoundError) as error:
        features.inception_model((28, 28, 1))
    message = str(error.value)
    assert features.INCEPTION_WEIGHTS_FILE in message and str(tmp_path / "models") in message
    assert "~/.keras/models" in message and isinstance(error.value, FileNotFoundError)


def test_real_digits_are_close_to_real_digits_and_noise_is_far(mnist_classifier):
    model = features.domain_model(mnist_classifier[0])
    train = features.extract(model, features.real_images("mnist", 2000, "train"))
    test = features.extract(model, data.load_images("mnist", "test", limit=2000)[0])
    noise = features.extract(model, np.random.default_rng(0).uniform(-1, 1, (2000, 28, 28, 1)).astype("float32"))
    assert train.shape == (2000, 128)
    # How far noise lies depends on the (unseeded) classifier: measured 0.1% to 1.1% for KID, under 2% for FID.
    real_fid, noise_fid = frechet_distance(test, train), frechet_distance(noise, train)
    assert real_fid < 0.05 * noise_fid
    real_kid, _ = kernel_inception_distance(test, train, subsets=10)
    noise_kid, _ = kernel_inception_distance(noise, train, subsets=10)
    assert real_kid < 0.05 * noise_kid


def test_inception_inputs_round_generated_images_to_8_bit_levels_as_real_ones_are():
    rng = np.random.default_rng(1)
    generated = rng.uniform(-1, 1, (2, 8, 8, 3)).astype("float32")  # between the 256 levels
    stored = (np.round((generated + 1) * 127.5) / 127.5 - 1).astype("float32")  # what a PNG file would hold
    np.testing.assert_allclose(keras.ops.convert_to_numpy(features.inception_inputs(generated)),
                               keras.ops.convert_to_numpy(features.inception_inputs(stored)), atol=1e-6)
    # A pixel at level 100.4 is read as level 100: 100 / 127.5 - 1 after InceptionV3's preprocessing.
    pixel = np.full((1, 4, 4, 1), 100.4 / 127.5 - 1, "float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(features.inception_inputs(pixel))[0, 0, 0],
                               [100 / 127.5 - 1] * 3, atol=1e-6)


def test_the_inception_features_are_named_for_what_they_are():
    from gan_tutorial.cli import build_parser

    note = "Keras ImageNet InceptionV3, not the 2015 FID network: not comparable with published FIDs"
    assert features.INCEPTION_NOTE == note
    help_text = " ".join(build_parser()._subparsers._group_actions[0].choices["evaluate"].format_help().split())
    assert note in help_text and "as in papers" not in help_text
