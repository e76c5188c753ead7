"""benchmark.fastest_mode: measured once per machine and model settings, then read from the cache file."""

import dataclasses
import json

import numpy as np
import pytest

from gan_tutorial import benchmark
from gan_tutorial.config import TrainConfig


@pytest.fixture
def measured(tmp_path, monkeypatch):
    """The configs benchmark.benchmark was called for; it answers 'xla' without measuring."""
    monkeypatch.setenv("GAN_TUTORIAL_CACHE_DIR", str(tmp_path))
    calls = []

    def fake_benchmark(config, images, **options):
        calls.append(config)
        return {"fastest": "xla"}

    monkeypatch.setattr(benchmark, "benchmark", fake_benchmark)
    return calls


def test_fastest_mode_is_measured_once_then_read_from_the_cache(measured, tmp_path, small_config):
    assert benchmark.fastest_mode(small_config, images=None) == "xla"
    assert benchmark.fastest_mode(small_config, images=None) == "xla"
    assert len(measured) == 1
    cached = json.loads((tmp_path / "fastest_mode.json").read_text())
    assert list(cached.values()) == ["xla"]
    # The file is what later calls read: a choice written there by hand is returned, still without measuring.
    (tmp_path / "fastest_mode.json").write_text(json.dumps({key: "graph" for key in cached}))
    assert benchmark.fastest_mode(small_config, images=None) == "graph" and len(measured) == 1


@pytest.mark.parametrize("change", [dict(width=32), dict(batch_size=32), dict(upsampling="resize"),
                                    dict(ema=0.0), dict(model="stylegan", image_shape=(32, 32, 1)),
                                    dict(conditional=True, n_classes=10)])
def test_other_model_settings_are_measured_again(measured, tmp_path, small_config, change):
    benchmark.fastest_mode(small_config, images=None)
    other = dataclasses.replace(small_config, **change)
    benchmark.fastest_mode(other, images=None)
    assert measured == [small_config, other]
    assert len(json.loads((tmp_path / "fastest_mode.json").read_text())) == 2
    benchmark.fastest_mode(other, images=None)
    assert len(measured) == 2


def test_the_learning_rates_and_epochs_share_one_measurement(measured, small_config):
    benchmark.fastest_mode(small_config, images=None)
    benchmark.fastest_mode(dataclasses.replace(small_config, epochs=7, g_learning_rate=1e-3, seed=5), images=None)
    assert len(measured) == 1



def test_a_step_is_timed_on_the_real_images_it_takes_every_critic_batch_included():
    # A WGAN-GP step takes n_critic batches (TrainConfig.images_per_step); slicing batch_size images per step timed
    # it on a fifth of its images. Labels travel with their images.
    config = TrainConfig(loss="wgan-gp", n_critic=5, batch_size=4)
    images, labels = np.zeros((50, 28, 28, 1), "float32"), np.arange(50)
    batches = benchmark.real_batches(config, images, labels)
    assert [tuple(images.shape) for images, _ in batches] == [(20, 28, 28, 1)] * 2
    assert batches[1][1].numpy().tolist() == list(range(20, 40)) and batches[1][1].dtype == "int32"
    assert len(benchmark.real_batches(TrainConfig(batch_size=4), images)) == 4  # at most 4
    assert [tuple(b.shape) for b in benchmark.real_batches(config, images[:10])] == [(10, 28, 28, 1)]  # all there is
