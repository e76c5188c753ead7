"""The stabilization toolkit (notebook 09): options of one training step, the generator EMA, the ring toy."""

import dataclasses
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_tutorial import stabilization, training
from gan_tutorial.architectures import architecture_of
from gan_tutorial.cli import build_parser
from gan_tutorial.gan import STABILIZER_FIELDS, build_gan, compile_gan, sampling_generator, seeded_noise, stabilizers
from gan_tutorial.runtime import set_seed

# Every option alone (the others off), the combinations notebook 09 trains, and the defaults.
OPTIONS = {
    "hinge+spectral_norm": {"loss": "hinge", "spectral_norm": True},
    "wgan-gp": {"loss": "wgan-gp", "n_critic": 2},
    "r1 lazy": {"r1_weight": 1.0, "r1_every": 2},
    "minibatch_std": {"minibatch_std": True},
    "minibatch_discrimination": {"minibatch_discrimination": 8},
    "feature_matching": {"feature_matching": 1.0},
    "instance_noise": {"instance_noise": 0.1},
    "diffaugment": {"diffaugment": "color,translation,cutout"},
    "ema": {"ema": 0.99},
    "label_smoothing": {"label_smoothing": 0.1},
    **stabilization.COMBINATIONS,
    "defaults": {name: getattr(training.TrainConfig, name) for name in training.STABILIZERS_OFF},
}


def new_gan(config, mode="graph"):
    set_seed(config.seed)
    return compile_gan(build_gan(config), config, mode)


def weights(model):
    return [w.numpy().copy() for w in model.trainable_weights]


@pytest.mark.slow
@pytest.mark.parametrize("options", OPTIONS.values(), ids=OPTIONS.keys())
def test_one_step_with_each_option_moves_both_networks(small_config, mnist_small, options):
    gan = new_gan(dataclasses.replace(small_config, **{**training.STABILIZERS_OFF, **options}))
    g_before, d_before = weights(gan.generator), weights(gan.discriminator)
    logs = tf.function(gan.train_step)(tf.constant(mnist_small[0][:64]))
    assert all(np.isfinite(float(v)) for v in logs.values()), logs
    assert all(not np.allclose(a, b.numpy()) for a, b in zip(g_before, gan.generator.trainable_weights))
    # Every discriminator weight moves, except the logit's bias under hinge and Wasserstein losses, whose
    # gradient is -1 + 1 = 0 by construction while the logits stay within the margin.
    moved = [not np.allclose(a, b.numpy()) for a, b in zip(d_before, gan.discriminator.trainable_weights)]
    assert all(moved[:-1]) and (moved[-1] or options.get("loss") in ("hinge", "wgan-gp"))


@pytest.mark.slow
def test_n_critic_updates_the_discriminator_n_times_per_step(small_config, mnist_small):
    gan = new_gan(dataclasses.replace(small_config, loss="wgan-gp", n_critic=3))
    gan.train_step(tf.constant(mnist_small[0][:64]))
    assert (int(gan.d_optimizer.iterations), int(gan.g_optimizer.iterations)) == (3, 1)


@pytest.mark.slow
def test_ema_equals_the_generator_with_decay_zero_and_lags_it_otherwise(small_config, mnist_small):
    gan = new_gan(dataclasses.replace(small_config, ema=0.999))
    start = [w.numpy().copy() for w in gan.ema_generator.weights]
    assert all(np.array_equal(a, b.numpy()) for a, b in zip(start, gan.generator.weights))
    for _ in range(20):
        gan.train_step(tf.constant(mnist_small[0][:64]))
    moved = [np.abs(w.numpy() - s).mean() for w, s in zip(gan.generator.weights, start)]
    lagged = [np.abs(a.numpy() - s).mean() for a, s in zip(gan.ema_generator.weights, start)]
    assert all(0 < lag < move for lag, move in zip(lagged, moved) if move > 0)  # BatchNorm statistics included
    assert all(move > 0 for move in moved)  # every weight, trainable or not, moved
    gan.ema = 0.0  # decay 0: the average becomes the model itself
    gan.update_ema()
    assert all(np.allclose(a.numpy(), b.numpy()) for a, b in zip(gan.ema_generator.weights, gan.generator.weights))
    assert sampling_generator(gan) is gan.ema_generator
    plain = new_gan(dataclasses.replace(small_config, **training.STABILIZERS_OFF))
    assert type(plain).__name__ == "GAN" and sampling_generator(plain) is plain.generator


@pytest.mark.slow
def test_ema_is_saved_resumed_and_used_for_samples(tmp_path, small_config, mnist_small):
    images = mnist_small[0][:512]
    config = dataclasses.replace(small_config, ema=0.9, epochs=1)
    first = training.train(config, str(tmp_path), images=images, verbose=False)
    average = [w.numpy().copy() for w in first.gan.ema_generator.weights]
    assert not all(np.allclose(a, b.numpy()) for a, b in zip(average, first.gan.generator.weights))
    noise = seeded_noise(4, config.latent_dim, 0)
    restored = training.restore_generator(str(tmp_path))  # what sample and evaluate use
    assert np.allclose(restored(noise), first.gan.ema_generator(noise), atol=1e-6)
    second = training.train(dataclasses.replace(config, epochs=2), str(tmp_path), images=images, verbose=False,
                            extra_callbacks=[CheckAverage(average)])
    assert second.epoch == 2


class CheckAverage(keras.callbacks.Callback):
    def __init__(self, expected):
        super().__init__()
        self.expected = expected

    def on_train_begin(self, logs=None):
        assert all(np.array_equal(a, b.numpy()) for a, b in zip(self.expected, self.model.ema_generator.weights))


def test_every_stabilizer_is_a_train_flag():
    help_text = build_parser()._subparsers._group_actions[0].choices["train"].format_help()
    for flag in ["--loss", "--gp-weight", "--n-critic", "--r1", "--r1-every", "--spectral-norm", "--minibatch-std",
                 "--minibatch-discrimination", "--feature-matching", "--instance-noise", "--instance-noise-steps",
                 "--diffaugment", "--ema"]:
        assert flag in help_text, flag
    assert len(STABILIZER_FIELDS) == 13


def test_stabilizers_names_what_is_on_whatever_the_defaults(small_config):
    off = dataclasses.replace(small_config, **training.STABILIZERS_OFF)
    assert stabilizers(off) == ""
    assert stabilizers(dataclasses.replace(off, loss="hinge", ema=0.99)) == "loss=hinge,ema=0.99"
    assert stabilizers(small_config) == "r1_weight=1.0,r1_every=4,minibatch_discrimination=16,ema=0.999"  # the defaults
    assert stabilizers(dataclasses.replace(off, loss="wgan-gp")) == "loss=wgan-gp,gp_weight=10.0,n_critic=5"


def test_modes_covered_on_hand_made_points():
    centers = stabilization.ring_centers()
    std = stabilization.RING_STD
    on_two = np.concatenate([np.repeat(centers[:1], 60, 0), np.repeat(centers[3:4], 40, 0)])
    report = stabilization.modes_covered(on_two, centers)
    assert report["modes_covered"] == 2 and report["high_quality"] == 1.0
    assert report["mode_shares"][0] == 0.6 and report["mode_shares"][3] == 0.4
    everywhere = np.concatenate([np.repeat(centers, 10, 0) + 2 * std, np.zeros((20, 2))])  # 2 std off; 20 at 0
    report = stabilization.modes_covered(everywhere, centers)
    assert report["modes_covered"] == 8 and report["high_quality"] == 0.8
    far = centers[:1] + 4 * std  # beyond 3 std: on no mode
    assert stabilization.modes_covered(np.repeat(far, 10, 0), centers)["modes_covered"] == 0
    one_stray = np.concatenate([np.repeat(centers[:1], 999, 0), centers[1:2]])  # 0.1% < 1%: not covered
    assert stabilization.modes_covered(one_stray, centers)["modes_covered"] == 1


@pytest.mark.slow
def test_train_with_stabilizer_flags_then_sample_says_which_generator(tmp_path, capsys):
    from gan_tutorial import cli

    run = str(tmp_path / "run")
    assert cli.main(["train", "--dataset", "mnist", "--limit", "256", "--width", "8", "--epochs", "1", "--batch-size",
                     "32", "--compile", "graph", "--ema", "0.9", "--minibatch-std", "--r1", "1", "--r1-every", "2",
                     "--diffaugment", "translation,cutout", "--out", run]) == 0
    assert "samples and generator.keras from the EMA (decay 0.9) generator" in capsys.readouterr().out
    saved = training.load_config(run)
    assert (saved.ema, saved.minibatch_std, saved.r1_weight, saved.r1_every, saved.diffaugment) == (
        0.9, True, 1.0, 2, "translation,cutout")
    assert cli.main(["sample", run, "--n", "4", "--out", str(tmp_path / "s.npz")]) == 0
    assert "from the EMA (decay 0.9) generator" in capsys.readouterr().out


@pytest.mark.parametrize("flags, message", [(["--diffaugment", "rotation"], "unknown ['rotation']"),
                                            (["--ema", "1.5"], "argument --ema: must be"),
                                            (["--n-critic", "0"], "argument --n-critic: must be"),
                                            (["--loss", "minimax"], "invalid choice: 'minimax'")])
def test_bad_stabilizer_flags_are_refused_in_one_line(tmp_path, capsys, flags, message):
    from gan_tutorial import cli

    with pytest.raises(SystemExit) as exit_:
        cli.main(["train", "--out", str(tmp_path), *flags])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.slow
def test_a_run_saved_before_the_stabilizers_loads_with_them_off(tmp_path, small_config, mnist_small):
    import json

    plain = dataclasses.replace(small_config, **{**training.STABILIZERS_OFF})
    training.train(plain, str(tmp_path), images=mnist_small[0][:256], verbose=False)
    path = tmp_path / "config.json"
    saved = json.loads(path.read_text())
    path.write_text(json.dumps({k: v for k, v in saved.items() if k not in training.STABILIZERS_OFF}))  # an old run
    loaded = training.load_config(str(tmp_path))
    assert all(getattr(loaded, k) == v for k, v in training.STABILIZERS_OFF.items())
    assert training.restore_generator(str(tmp_path)).output_shape == (None, 28, 28, 1)  # the raw generator's key
    again = training.train(training.load_config(str(tmp_path)), str(tmp_path), images=mnist_small[0][:256],
                           verbose=False)
    assert again.step == 4  # recognized as the same, finished run


def test_color_images_default_to_the_resize_style():
    assert training.TrainConfig.for_dataset("cifar10").upsampling == "resize"
    assert training.TrainConfig.for_dataset("mnist").upsampling == "transpose"
    assert training.TrainConfig.for_dataset("cifar10", upsampling="transpose").upsampling == "transpose"


# Each option's effect, computed by hand: an option silently ignored, or applied the wrong way, fails these.

def toy_gan(**options):
    """A StabilizedGAN on 2 x 2 one-channel 'images' with a linear critic, compiled; and a real and a fake batch."""
    from gan_tutorial.gan import StabilizedGAN

    keras.utils.set_random_seed(0)
    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4), keras.layers.Reshape((2, 2, 1))])
    discriminator = keras.Sequential([keras.Input((2, 2, 1)), keras.layers.Flatten(), keras.layers.Dense(3),
                                      keras.layers.Dense(1)])
    gan = StabilizedGAN(generator, discriminator, latent_dim=2, seed=0, **options)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    rng = np.random.default_rng(0)
    real, fake = (tf.constant(rng.standard_normal((16, 2, 2, 1)).astype("float32")) for _ in range(2))
    return gan, real, fake


def losses_at(gan, real, fake, step=0, labels=None):
    """losses_of at D's step ``step``, from the same random state every time."""
    gan.d_optimizer.iterations.assign(step)
    if not hasattr(gan, "start_state"):
        gan.start_state = gan.seed_generator.state.numpy().copy()
    gan.seed_generator.state.assign(gan.start_state)
    return [float(value) if np.ndim(value) == 0 else np.asarray(value) for value in gan.losses_of(real, fake, labels)]


def test_feature_matching_replaces_the_adversarial_generator_loss():
    from gan_tutorial.losses import feature_matching_loss

    gan, real, fake = toy_gan(feature_matching=2.0)
    _, g_loss, _, _ = losses_at(gan, real, fake)
    real_features, _ = gan.discriminate(real)
    fake_features, _ = gan.discriminate(fake)
    expected = 2.0 * float(np.sum((np.mean(real_features, 0) - np.mean(fake_features, 0)) ** 2))
    assert g_loss == pytest.approx(expected, rel=1e-5)  # not added to -log D(G(z))
    assert float(feature_matching_loss(real_features, fake_features)) == pytest.approx(expected / 2, rel=1e-5)


def bce_of_logits(target, logits):
    p = 1 / (1 + np.exp(-np.asarray(logits, "float64")))
    return -np.mean(target * np.log(p) + (1 - target) * np.log(1 - p))


def test_label_smoothing_changes_the_d_loss_by_the_hand_computed_amount():
    gan, real, fake = toy_gan(label_smoothing=0.1)
    d_smoothed, _, real_logits, _ = losses_at(gan, real, fake)
    gan.label_smoothing = 0.0
    d_plain, _, _, _ = losses_at(gan, real, fake)
    assert d_smoothed - d_plain == pytest.approx(bce_of_logits(0.9, real_logits) - bce_of_logits(1.0, real_logits),
                                                 rel=1e-4)


def test_lazy_r1_is_added_exactly_every_k_steps_with_weight_gamma_k_over_2():
    from gan_tutorial.losses import r1_penalty

    gan, real, fake = toy_gan(r1_weight=3.0, r1_every=4)
    penalty = float(r1_penalty(gan.critic(), real))
    assert penalty > 0
    gan_off, _, _ = toy_gan()
    gan_off.discriminator.set_weights(gan.discriminator.get_weights())
    for step in range(9):
        added = losses_at(gan, real, fake, step)[0] - losses_at(gan_off, real, fake, step)[0]
        expected = 0.5 * 3.0 * 4 * penalty if step % 4 == 0 else 0.0
        assert added == pytest.approx(expected, rel=1e-4, abs=1e-6), step


def test_gp_weight_scales_the_gradient_penalty_computed_by_hand():
    # A linear critic w . x has slope ||w|| everywhere: the penalty is (||w|| - 1)^2 whatever the interpolation.
    losses = {}
    for weight in (0.0, 10.0, 20.0):
        gan, real, fake = toy_gan(loss="wgan-gp", gp_weight=weight)
        gan.discriminator = keras.Sequential([keras.Input((2, 2, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
        w = gan.discriminator.layers[-1].kernel
        w.assign(np.array([[2.0], [0.0], [1.0], [2.0]], "float32"))  # ||w|| = 3
        losses[weight] = losses_at(gan, real, fake)[0]
    assert losses[10.0] - losses[0.0] == pytest.approx(10.0 * (3.0 - 1.0) ** 2, rel=1e-4)
    assert losses[20.0] - losses[0.0] == pytest.approx(2 * (losses[10.0] - losses[0.0]), rel=1e-4)


def test_instance_noise_follows_its_annealing_schedule():
    gan, real, _ = toy_gan(instance_noise=0.2, instance_noise_steps=100)
    zeros = tf.zeros((4000, 2, 2, 1))
    for step, std in ((0, 0.2), (25, 0.15), (50, 0.1), (100, 0.0), (150, 0.0)):
        gan.d_optimizer.iterations.assign(step)
        assert float(gan.instance_noise_std()) == pytest.approx(std, abs=1e-7)
        seen = np.asarray(gan.discriminator_inputs(zeros))  # what D sees of blank images: the noise alone
        assert np.std(seen) == pytest.approx(std, abs=0.01), step


def test_diffaugment_changes_what_the_discriminator_sees():
    from gan_tutorial.layers import DiffAugment

    gan, real, fake = toy_gan(augment=DiffAugment("color,translation", seed=0))
    state = gan.augment.seed_generator.state.numpy().copy()
    seen = np.asarray(gan.discriminator_inputs(real))
    assert not np.allclose(seen, real)
    gan.augment.seed_generator.state.assign(state)
    np.testing.assert_allclose(seen, gan.augment(real, training=True), rtol=1e-6)  # D sees the augmented images
    gan.augment.seed_generator.state.assign(state)
    _, _, real_logits, _ = losses_at(gan, real, fake)
    np.testing.assert_allclose(real_logits, gan.discriminator(seen), rtol=1e-5, atol=1e-6)
    assert not np.allclose(real_logits, gan.discriminator(real))


def test_loss_wgan_gp_alone_is_the_published_recipe():
    from gan_tutorial.gan import WGAN_GP_RECIPE

    config = training.TrainConfig(loss="wgan-gp")
    assert (config.n_critic, config.d_learning_rate, config.g_learning_rate, config.beta_1, config.beta_2) == (
        5, 1e-4, 1e-4, 0.0, 0.9)
    assert (config.minibatch_discrimination, config.minibatch_std, config.r1_weight, config.gp_weight) == (
        0, False, 0.0, 10.0)
    assert all(getattr(config, name) == value for name, value in WGAN_GP_RECIPE.items())
    # Settings given another value are kept; the others losses keep the usual defaults.
    assert training.TrainConfig(loss="wgan-gp", n_critic=2, d_learning_rate=3e-4).n_critic == 2
    plain = training.TrainConfig()
    assert (plain.n_critic, plain.d_learning_rate, plain.beta_1, plain.beta_2, plain.minibatch_discrimination,
            plain.r1_weight) == (1, 2e-4, 0.5, 0.999, 16, 1.0)
    gan = new_gan(dataclasses.replace(training.TrainConfig.for_dataset("mnist", width=8, epochs=1), loss="wgan-gp"))
    assert (float(gan.d_optimizer.beta_1), float(gan.d_optimizer.beta_2)) == (0.0, 0.9)
    assert float(gan.d_optimizer.learning_rate) == pytest.approx(1e-4)


def test_wgan_gp_with_minibatch_layers_or_r1_warns_in_one_line():
    for extra in ({"minibatch_discrimination": 8}, {"minibatch_std": True}, {"r1_weight": 0.5}):
        with pytest.warns(UserWarning, match="Gulrajani") as caught:
            training.TrainConfig(loss="wgan-gp", **extra)
        assert len(caught) == 1 and "\n" not in str(caught[0].message)


def test_each_critic_step_sees_a_fresh_real_batch(small_config, mnist_small):
    gan = new_gan(dataclasses.replace(small_config, loss="wgan-gp", n_critic=3), mode="eager")
    seen, losses_of = [], gan.losses_of

    def recording(real_images, fake_images, labels=None):
        seen.append(np.asarray(real_images))
        return losses_of(real_images, fake_images, labels)

    gan.losses_of = recording
    batch = mnist_small[0][:3 * 16]
    gan.train_step(tf.constant(batch))
    assert len(seen) == 3 and all(len(images) == 16 for images in seen)
    for i, images in enumerate(seen):  # image j goes to D step j % 3: three disjoint batches, the whole batch
        np.testing.assert_array_equal(images, batch[i::3])
    assert (int(gan.d_optimizer.iterations), int(gan.g_optimizer.iterations)) == (3, 1)
    config = dataclasses.replace(small_config, n_critic=3)
    dataset, steps = architecture_of(config).dataset(config, batch[:48].repeat(4, 0), None)
    assert next(iter(dataset)).shape[0] == 3 * small_config.batch_size and steps == 1  # n_critic batches a step


def test_wgan_gp_logs_critic_scores_not_probabilities(small_config, mnist_small):
    gan = new_gan(dataclasses.replace(small_config, loss="wgan-gp"), mode="eager")
    outputs, losses_of = [], gan.losses_of
    gan.losses_of = lambda *args: outputs.append(losses_of(*args)) or outputs[-1]
    logs = gan.train_step(tf.constant(mnist_small[0][:64]))
    assert set(logs) == {"d_loss", "g_loss", "critic_real", "critic_fake"}
    _, _, real_logits, fake_logits = outputs[-1]
    assert float(logs["critic_real"]) == pytest.approx(float(np.mean(real_logits)), rel=1e-5)
    assert float(logs["critic_fake"]) == pytest.approx(float(np.mean(fake_logits)), rel=1e-5)
    assert gan.log_columns[-2:] == ["critic_real", "critic_fake"] and "critic(x)" in gan.progress_names.values()


def seed_row(name, confident, fid, classes, low, high, steps=100):
    return {"name": name, "steps": steps, "confident_share": confident, "domain_fid": fid, "classes_covered": classes,
            "class_share_range": [low, high], "images_per_second": 1000}


def test_over_seeds_gives_the_mean_and_the_sample_standard_deviation():
    # By hand: confident 0.5, 0.6, 0.7 -> mean 0.6, sample std 0.1 (the population std, n in the denominator, would
    # be 0.0816); FID 10, 20, 60 -> 30 and sqrt((400 + 100 + 900) / 2) = 26.458; classes 10, 9, 10 -> 9.6667, 0.5774.
    per_seed = {0: [seed_row("a", 0.5, 10.0, 10, 0.06, 0.12)], 1: [seed_row("a", 0.6, 20.0, 9, 0.0, 0.2)],
                2: [seed_row("a", 0.7, 60.0, 10, 0.08, 0.11)]}
    (row,) = stabilization.over_seeds(per_seed)
    assert row["seeds"] == [0, 1, 2] and row["steps"] == 100 and "images_per_second" not in row
    assert (row["confident_share"], row["confident_share_std"]) == (0.6, 0.1)
    assert (row["domain_fid"], row["domain_fid_std"]) == (30.0, 26.4575)
    assert (row["classes_covered"], row["classes_covered_std"]) == (9.6667, 0.5774)
    assert row["class_share_range"] == [0.0, 0.2] and row["domain_fid_values"] == [10.0, 20.0, 60.0]
    table = stabilization.results_table([row])
    assert table.splitlines()[0] == "| variant | steps | classes | confident > 0.9 | class shares | domain FID |"
    assert table.splitlines()[2] == "| a | 100 | 9.67 ± 0.577 | 60.0 ± 10.0% | 0.0-20.0% | 30.0 ± 26.5 |"


def test_over_seeds_refuses_a_missing_seed_or_different_budgets():
    with pytest.raises(ValueError, match="measured for 1 of the 2 seeds"):
        stabilization.over_seeds({0: [seed_row("a", 0.5, 1.0, 10, 0, 1)], 1: [seed_row("b", 0.5, 1.0, 10, 0, 1)]})
    with pytest.raises(ValueError, match=r"different numbers of steps: \[100, 90\]"):
        stabilization.over_seeds({0: [seed_row("a", 0.5, 1.0, 10, 0, 1)],
                                  1: [seed_row("a", 0.5, 1.0, 10, 0, 1, steps=90)]})


@pytest.mark.slow
def test_compare_over_seeds_trains_each_seed_apart_and_scores_finished_runs_again(tmp_path):
    from gan_tutorial.classifier import load_classifier

    scorer = stabilization.Scorer.for_dataset("mnist", n=64, classifier=load_classifier("mnist"))
    options = dict(epochs=1, limit=128, batch_size=32, width=8, compile_mode="graph", n_samples=4)
    per_seed = stabilization.compare_over_seeds({"baseline": stabilization.VARIANTS["baseline"]}, (0, 1),
                                                str(tmp_path), scorer=scorer, **options)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["seed0", "seed1"]
    assert [training.load_config(str(tmp_path / f"seed{seed}" / "baseline")).seed for seed in (0, 1)] == [0, 1]
    figures = {seed: rows[0]["domain_fid"] for seed, rows in per_seed.items()}
    assert figures[0] != figures[1], "another seed, other weights and noise"
    log = (tmp_path / "seed1" / "baseline" / "log.csv").read_text()
    again = stabilization.compare_over_seeds({"baseline": stabilization.VARIANTS["baseline"]}, (1,), str(tmp_path),
                                             scorer=scorer, **options)
    assert (tmp_path / "seed1" / "baseline" / "log.csv").read_text() == log, "a finished run is not trained again"
    assert again[1][0]["domain_fid"] == figures[1]


@pytest.mark.slow
def test_measure_speeds_counts_every_critic_batch_of_a_step_and_takes_the_variants_in_turn(monkeypatch):
    from gan_tutorial import benchmark

    timed, measure = [], benchmark.measure

    def spy(step, batches, steps, warmup=3):
        timed.append((len(batches[0]), warmup))
        return measure(step, batches, steps, warmup)

    monkeypatch.setattr(benchmark, "measure", spy)
    rows = stabilization.measure_speeds({"baseline": stabilization.alone(), "wgan": stabilization.alone(
        loss="wgan-gp", n_critic=2)}, steps=2, rounds=2, batch_size=16, width=8)
    assert [row["name"] for row in rows] == ["baseline", "wgan"]
    # Round by round, each variant in turn; the WGAN step is handed its 2 critic batches (32 images), not one batch
    # of 16 split in two (which timed a step on half its images); warm-up (tracing) only in the first round.
    assert timed == [(16, 3), (32, 3), (16, 1), (32, 1)]
    for row, batches in zip(rows, (1, 2)):
        assert row["ms_range"][0] <= row["ms_per_step"] <= row["ms_range"][1]
        assert row["images_per_second"] == round(1000 * 16 * batches / row["ms_per_step"])


SETTINGS = {"dataset": "mnist", "training_images": 60000, "epochs": 8, "samples": 10000, "seeds": [0, 1],
            "machine": "x86_64", "tensorflow": "2.x", "keras": "3.x"}


def test_record_row_keeps_every_run_and_summarizes_only_variants_measured_for_every_seed(tmp_path):
    path = str(tmp_path / "table.json")
    stabilization.record_row(path, SETTINGS, 0, seed_row("a", 0.5, 10.0, 10, 0.05, 0.15))
    table = stabilization.record_row(path, SETTINGS, 0, seed_row("b", 0.4, 30.0, 9, 0.0, 0.2))
    assert table["rows"] == [] and table["missing"] == [[1, "a"], [1, "b"]]
    stabilization.record_row(path, SETTINGS, 1, seed_row("a", 0.9, 99.0, 10, 0.05, 0.15))
    table = stabilization.record_row(path, SETTINGS, 1, seed_row("a", 0.7, 20.0, 10, 0.05, 0.15))  # measured again
    assert [r["confident_share"] for r in table["per_seed"]["1"]] == [0.7], "a pair's new row replaces the old one"
    (row,) = table["rows"]
    assert row["name"] == "a" and row["confident_share"] == 0.6 and row["domain_fid_values"] == [10.0, 20.0]
    assert table["missing"] == [[1, "b"]]
    assert stabilization.load_reference(path) == table
    assert stabilization.recorded(path, SETTINGS) == {0: {"a", "b"}, 1: {"a"}}
    with pytest.raises(SystemExit, match=r"other settings \(epochs\)"):
        stabilization.recorded(path, {**SETTINGS, "epochs": 4})


def test_the_rows_over_seeds_follow_the_variants_order_not_the_order_the_runs_finished_in(tmp_path):
    path, settings = str(tmp_path / "table.json"), {**SETTINGS, "variants": ["a", "b"]}
    for seed, name in [(0, "b"), (0, "a"), (1, "a"), (1, "b")]:  # b finished first
        table = stabilization.record_row(path, settings, seed, seed_row(name, 0.5, 10.0, 10, 0.05, 0.15))
    assert [row["name"] for row in table["rows"]] == ["a", "b"]


def test_the_measuring_command_skips_recorded_runs_and_records_each_new_one(tmp_path, monkeypatch):
    trained = []

    def fake_compare(variants, out, seed, **options):
        (name,) = variants
        trained.append((seed, name))
        assert out.endswith(f"seed{seed}") and options["epochs"] == 2
        return [seed_row(name, 0.5 + seed / 10, 10.0, 10, 0.05, 0.15)]

    monkeypatch.setattr(stabilization, "compare", fake_compare)
    monkeypatch.setattr(stabilization.Scorer, "for_dataset", classmethod(lambda cls, *a, **k: None))
    monkeypatch.setattr(stabilization.data, "load_images", lambda *a, **k: (np.zeros((5, 28, 28, 1)), None))
    path = str(tmp_path / "table.json")
    command = ["--seeds", "0", "1", "--epochs", "2", "--out", str(tmp_path), "--table", path]
    stabilization.main(command + ["--variants", "baseline"])
    stabilization.main(command + ["--variants", "baseline", "ema"])
    assert trained == [(0, "baseline"), (1, "baseline"), (0, "ema"), (1, "ema")]
    table = stabilization.load_reference(path)
    assert [r["name"] for r in table["rows"]] == ["baseline", "ema"]
    every = [*stabilization.VARIANTS, *stabilization.COMBINATIONS]
    assert table["settings"]["variants"] == every and len(table["missing"]) == 2 * (len(every) - 2)
    assert [0, "wgan_gp"] in table["missing"] and [1, "baseline"] not in table["missing"]
    assert table["settings"]["training_images"] == 5 and table["rows"][0]["confident_share_values"] == [0.5, 0.6]


def test_the_speeds_are_measured_apart_and_recorded_beside_the_runs(tmp_path, monkeypatch):
    path = str(tmp_path / "table.json")
    stabilization.record_row(path, SETTINGS, 0, seed_row("a", 0.5, 10.0, 10, 0.05, 0.15))
    measured = []

    def fake_speeds(variants, steps, rounds, data_dir):
        measured.append(list(variants))
        return [{"name": name, "ms_per_step": 40.0, "images_per_second": 1600} for name in variants]

    monkeypatch.setattr(stabilization, "measure_speeds", fake_speeds)
    stabilization.main(["--speeds", "--variants", "baseline", "wgan_gp", "--table", path, "--speed-steps", "30"])
    table = stabilization.load_reference(path)
    assert measured == [["baseline", "wgan_gp"]] and [r["name"] for r in table["speeds"]["rows"]] == measured[0]
    from gan_tutorial.runtime import describe_device

    assert (table["speeds"]["steps"], table["speeds"]["rounds"]) == (30, 3)
    assert table["speeds"]["device"] == describe_device()
    assert table["per_seed"]["0"][0]["name"] == "a", "the runs' rows are kept"


def spread_row(name, confident, confident_std, fid, fid_std):
    return {"name": name, "steps": 100, "confident_share": confident, "confident_share_std": confident_std,
            "domain_fid": fid, "domain_fid_std": fid_std, "classes_covered": 10, "classes_covered_std": 0.0,
            "class_share_range": [0.05, 0.15]}


def test_a_variant_beats_the_defaults_only_by_more_than_both_spreads():
    # By hand, against the defaults' 0.60 ± 0.02 and FID 30 ± 3: 0.65 ± 0.02 is 0.05 > 0.04 higher (better); 0.63 ±
    # 0.02 is 0.03 <= 0.04 (within); FID 20 ± 2 is 10 > 5 lower (better), 34 ± 2 is 4 <= 5 (within), 40 ± 1 worse.
    # A verdict on the means alone, or on one spread, calls 0.63 better; one that read FID upward calls 20 worse.
    rows = [spread_row("minibatch_discrimination+r1+ema", 0.60, 0.02, 30.0, 3.0), spread_row("a", 0.65, 0.02, 20.0, 2.0),
            spread_row("b", 0.63, 0.02, 34.0, 2.0), spread_row("c", 0.50, 0.01, 40.0, 1.0)]
    assert stabilization.against(rows) == {
        "a": {"confident_share": "better", "domain_fid": "better"},
        "b": {"confident_share": "within the spread", "domain_fid": "within the spread"},
        "c": {"confident_share": "worse", "domain_fid": "worse"}}


def test_the_shipped_table_joins_the_speeds_and_names_the_runs_not_measured(tmp_path):
    path = str(tmp_path / "table.json")
    settings = {**SETTINGS, "variants": ["a", "b"]}
    for seed in (0, 1):
        stabilization.record_row(path, settings, seed, seed_row("a", 0.5 + seed / 10, 10.0, 10, 0.05, 0.15))
    stabilization.record_row(path, settings, 0, seed_row("b", 0.4, 30.0, 9, 0.0, 0.2))
    text = stabilization.shipped_table(path)
    assert "| a | 100 | 10 ± 0 | 55.0 ± 7.1% | 5.0-15.0% | 10.0 ± 0.0 |" in text
    assert text.endswith("Not measured yet: 1 run (b seed 1).") and "ms a step" not in text
    with stabilization._table(path) as table:
        table["speeds"] = {"rows": [{"name": "a", "ms_per_step": 40.0, "images_per_second": 1600}]}
    assert "| a | 100 | 40.0 | 1,600 | 10 ± 0 |" in stabilization.shipped_table(path)


def test_the_plot_of_the_table_over_seeds_draws_one_std_each_way_and_a_single_run_none():
    import matplotlib
    import matplotlib.container

    matplotlib.use("Agg")
    rows = stabilization.over_seeds({0: [seed_row("a", 0.5, 10.0, 10, 0.05, 0.15)],
                                     1: [seed_row("a", 0.7, 14.0, 10, 0.05, 0.15)]})  # std 0.1414 and 2.828 by hand
    fig = stabilization.plot_results(rows)
    for ax, std in zip(fig.axes, (14.14, 2.828)):
        (bars,) = [c for c in ax.containers if isinstance(c, matplotlib.container.BarContainer)]
        (segment,) = bars.errorbar.lines[2][0].get_segments()
        assert abs((segment[1][0] - segment[0][0]) - 2 * std) < 0.01  # from mean - std to mean + std
        assert "mean ± std of 2 seeds" in ax.get_xlabel()
    single = stabilization.plot_results([{"name": "a", "confident_share": 0.5, "domain_fid": 10.0}])
    assert not any(isinstance(c, matplotlib.container.ErrorbarContainer) for c in single.axes[0].containers)


def test_a_lock_file_left_by_a_killed_process_does_not_block_and_a_new_folder_is_made(tmp_path):
    path = str(tmp_path / "new" / "table.json")
    os.makedirs(tmp_path / "new")
    with open(path + ".lock", "w"):  # what a process killed while recording leaves: the file, not the lock
        pass
    table = stabilization.record_row(path, SETTINGS, 0, seed_row("a", 0.5, 10.0, 10, 0.05, 0.15))
    assert table["per_seed"]["0"][0]["name"] == "a"
    assert [name for name in os.listdir(tmp_path / "new") if "partial" in name] == []  # written in one step
    other = str(tmp_path / "made" / "here" / "table.json")
    stabilization.record_row(other, SETTINGS, 0, seed_row("a", 0.5, 10.0, 10, 0.05, 0.15))
    assert os.path.exists(other)
