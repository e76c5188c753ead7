"""Every architecture trains as it did: the first steps' losses from a fixed seed, pinned.

Each case trains two steps through ``training.train`` (graph mode, one device, CPU) on fixed
data and compares the logged losses with the values recorded before the architectures became
plug-ins of one trainer (issue 23). A change of these numbers is a change of behavior.
"""

import numpy as np
import pytest

from gan_tutorial import plots, training

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


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_first_steps_losses_are_pinned(case, tmp_path):
    overrides, expected = CASES[case]
    losses = first_losses(tmp_path, overrides)
    assert losses == expected
