"""Every architecture trains as it did: the first steps' losses from a fixed seed, pinned.

Each case trains two steps through ``training.train`` (graph mode, one device, CPU) on fixed
data and compares the logged losses with the values recorded before the architectures became
plug-ins of one trainer (issue 23). A change of these numbers is a change of behavior.
"""

import dataclasses
import inspect
import json
import pathlib
import re

import numpy as np
import pytest

from gan_tutorial import architectures, plots, training
from gan_tutorial.architectures import MODELS, REGISTRY
from gan_tutorial.config import SECTIONS, write_config
from gan_tutorial.gan import STABILIZERS_OFF
from gan_tutorial.wgan import WGANGP

BATCH = 8
STEPS = 2

# (TrainConfig overrides, expected d_loss and g_loss of steps 1 and 2 (and a CycleGAN's cycle and identity losses)).
CASES = {
    "dcgan-plain": (
        dict(dataset="mnist", width=8, loss="nonsaturating", r1_weight=0.0, minibatch_discrimination=0, ema=0.0),
        {"d_loss": [1.3181, 1.3474], "g_loss": [0.69062, 0.6732]}),
    "dcgan-stabilized": (dict(dataset="mnist", width=8), {"d_loss": [1.552, 1.3892], "g_loss": [0.66094, 0.65467]}),
    "conditional-concat": (dict(dataset="mnist", width=8, conditional=True, conditioning="concat"),
                           {"d_loss": [1.4862, 1.3231], "g_loss": [0.70137, 0.69366]}),
    "conditional-projection": (
        dict(dataset="mnist", width=8, conditional=True, conditioning="projection", class_batchnorm=True),
        {"d_loss": [1.6131, 1.4281], "g_loss": [0.55703, 0.58026]}),
    "stylegan": (dict(dataset="mnist", width=8, model="stylegan"),
                 {"d_loss": [1.4071, 1.3553], "g_loss": [0.7394, 0.74114]}),
    "cyclegan": (dict(dataset="cifar10:horse", dataset_b="cifar10:deer", width=4, model="cyclegan"),
                 {"d_loss": [1.9209, 1.9495], "g_loss": [2.3857, 2.3489], "cycle_loss": [1.2046, 1.2053],
                  "identity_loss": [1.1979, 1.2023]}),
}


def fixed_images(shape, n, seed):
    """``n`` images of ``shape`` in [-1, 1], the same on every machine."""
    return np.random.default_rng(seed).uniform(-1.0, 1.0, (n, *shape)).astype("float32")


def training_data(config):
    n = STEPS * BATCH
    if config.model == "cyclegan":
        return fixed_images(config.image_shape, n, 1), fixed_images(config.image_shape, n, 2)
    images = fixed_images(config.image_shape, n, 1)
    if config.conditional:
        return images, (np.arange(n) % 10).astype("int64")
    return images


def first_losses(tmp_path, overrides):
    settings = {key: value for key, value in overrides.items() if key != "dataset"}
    config = training.TrainConfig.for_dataset(overrides["dataset"], **settings, epochs=1, batch_size=BATCH,
                                              compile_mode="graph", n_samples=10, seed=3)
    training.train(config, str(tmp_path / "run"), images=training_data(config), verbose=False)
    log = plots.read_log(str(tmp_path / "run" / "log.csv"))
    names = [name for name in ("d_loss", "g_loss", "cycle_loss", "identity_loss") if name in log]
    return {name: [float(f"{value:.5g}") for value in log[name]] for name in names}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_first_steps_losses_are_pinned(case, tmp_path):
    overrides, expected = CASES[case]
    losses = first_losses(tmp_path, overrides)
    # Within 3e-4 of the pinned values: TensorFlow's sums land a few units of the 5th digit apart with another
    # number of threads (make test gives each test process one); a change of behavior moves them much further.
    assert set(losses) == set(expected)
    for name in expected:
        np.testing.assert_allclose(losses[name], expected[name], rtol=3e-4, err_msg=name)


OLD_FLAT_CONFIG = {  # a config.json written before TrainConfig had sections (and before class_batchnorm, tensorboard)
    "dataset": "mnist", "image_shape": [28, 28, 1], "model": "dcgan", "mapping_layers": 4, "style_mixing": 0.9,
    "epochs": 2, "max_seconds": None, "batch_size": 32, "latent_dim": 64, "width": 8, "upsampling": "transpose",
    "d_learning_rate": 0.0002, "g_learning_rate": 0.0002, "beta_1": 0.5, "dropout": 0.0, "label_smoothing": 0.0,
    "loss": "hinge", "gp_weight": 10.0, "n_critic": 1, "r1_weight": 1.0, "r1_every": 4, "spectral_norm": False,
    "minibatch_std": False, "minibatch_discrimination": 16, "feature_matching": 0.0, "instance_noise": 0.0,
    "instance_noise_steps": 5000, "diffaugment": "", "ema": 0.999, "flip": False, "seed": 0, "limit": 256,
    "compile_mode": "auto", "mixed_precision": False, "n_samples": 64, "strategy": "default", "dataset_b": None,
    "conditional": False, "conditioning": "concat", "n_classes": None,
}


def test_a_flat_config_json_of_an_older_run_still_loads(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(OLD_FLAT_CONFIG))
    config = training.load_config(str(tmp_path))
    assert config == training.TrainConfig(**OLD_FLAT_CONFIG)
    assert (config.loss, config.width, config.stabilizers.loss, config.network.width) == ("hinge", 8, "hinge", 8)
    assert config.class_batchnorm is False and config.tensorboard is False  # newer settings take their defaults
    before_stabilizers = {k: v for k, v in OLD_FLAT_CONFIG.items() if k not in STABILIZERS_OFF and k != "r1_every"}
    (tmp_path / "config.json").write_text(json.dumps(before_stabilizers))
    assert training.load_config(str(tmp_path)).ema == 0.0  # saved before the stabilizers existed: all off


def test_an_unreadable_config_json_says_what_to_do(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({**OLD_FLAT_CONFIG, "generator_depth": 3}))
    with pytest.raises(ValueError, match="choose another --out folder") as error:
        training.load_config(str(tmp_path))
    assert len(str(error.value).splitlines()) == 1


def test_the_config_is_grouped_and_still_flat_for_its_users():
    config = training.TrainConfig.for_dataset("cifar10", epochs=1, width=16, r1_weight=0.0, strategy="mirrored")
    assert [field.name for field in dataclasses.fields(config)] == list(SECTIONS)
    assert (config.network.width, config.stabilizers.r1_weight, config.devices.strategy) == (16, 0.0, "mirrored")
    assert config.data.image_shape == (32, 32, 3) and config.upsampling == "resize"
    wider = dataclasses.replace(config, width=32)
    assert (wider.width, config.width) == (32, 16)  # replace copies the sections, it does not share them
    assert training.TrainConfig.batch_size == 64  # on the class: the default, as the command line reads it
    with pytest.raises(TypeError, match="generator_depth"):
        training.TrainConfig(generator_depth=3)


def test_a_notebook_shows_the_config_by_section_and_only_the_sections_in_use():
    from IPython.lib.pretty import pretty

    config = training.TrainConfig.for_dataset("mnist", max_seconds=300)
    shown = pretty(config)  # what a notebook prints for a cell ending in `config`
    assert shown == config.describe() and repr(config) != shown
    lines = shown.splitlines()
    assert lines[0] == "TrainConfig: dcgan on mnist (28, 28, 1)" and max(map(len, lines)) <= 110
    sections = [line.split(":")[0].strip() for line in lines[1:] if not line.startswith(" " * 15)]
    assert sections == ["run", "data", "network", "stabilizers"]
    names = [field.name for name in sections for field in dataclasses.fields(SECTIONS[name])]
    assert re.findall(r"(\w+)=", shown) == names  # every setting of those sections, once, in order
    assert "max_seconds=300," in shown and "minibatch_discrimination=16," in shown and "label_smoothing=0.0" in shown
    assert "mapping_layers" not in shown and "cycle_weight" not in shown and "conditioning" not in shown
    assert "style:" in pretty(training.TrainConfig.for_dataset("mnist", model="stylegan"))
    assert "devices:" in pretty(training.TrainConfig.for_dataset("mnist", epochs=1, strategy="mirrored"))


def test_config_json_stays_flat_sections_load_too_and_a_resume_refuses_another_architecture(tmp_path):
    config = training.TrainConfig.for_dataset("mnist", epochs=1, width=8)
    write_config(config, str(tmp_path))
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["width"] == 8 and len(saved) == len(OLD_FLAT_CONFIG) + 8  # + class_batchnorm, tensorboard, beta_2,
    # classes, demodulate, embedding_dim, cycle_weight, identity_weight
    assert training.load_config(str(tmp_path)) == config
    (tmp_path / "config.json").write_text(json.dumps(dataclasses.asdict(config)))  # in sections
    assert training.load_config(str(tmp_path)) == config
    with pytest.raises(ValueError, match="holds a run with .*choose another --out folder"):
        write_config(dataclasses.replace(config, model="stylegan"), str(tmp_path))


@pytest.mark.slow
def test_the_developers_guide_example_architecture_is_registered_and_trains(tmp_path):
    assert isinstance(REGISTRY["wgan"], WGANGP) and "wgan" in MODELS
    config = training.TrainConfig.for_dataset("mnist", model="wgan", epochs=1, width=8, batch_size=BATCH,
                                              compile_mode="graph", n_samples=4)
    assert (config.loss, config.n_critic, config.r1_weight) == ("wgan-gp", 5, 0.0)
    images = fixed_images(config.image_shape, BATCH * config.n_critic, 1)  # one step: a real batch per critic step
    result = training.train(config, str(tmp_path / "run"), images=images, verbose=False)
    log = plots.read_log(str(tmp_path / "run" / "log.csv"))
    assert result.step == 1 and np.isfinite(log["d_loss"]).all()
    assert training.restore_generator(str(tmp_path / "run")).output_shape[1:] == config.image_shape


def test_the_developers_guide_shows_the_example_as_it_is():
    guide = (pathlib.Path(__file__).resolve().parents[1] / "notebooks" / "DEVELOPERS.md").read_text()
    assert inspect.getsource(WGANGP) in guide
    assert '    "wgan": WGANGP(),' in inspect.getsource(architectures)
