"""benchmark.fastest_mode: measured once per machine and model settings, then read from the cache file."""

import dataclasses
import json

import pytest

from gan_tutorial import benchmark


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

