"""The compact StyleGAN2 generator (notebook 12): modulation, noise, styles, truncation, and training through train."""

import dataclasses
import json

import numpy as np
import pytest
import tensorflow as tf

from gan_tutorial import cli, runs, stylegan, training
from gan_tutorial.architectures import build_gan
from gan_tutorial.gan import compile_gan, generate
from gan_tutorial.runtime import set_seed
from gan_tutorial.stylegan import ModulatedConv2D, StyleGenerator, mix_styles, modulated_conv2d

LATENT = 16


@pytest.fixture(scope="module")
def generator():
    set_seed(0)
    return StyleGenerator(LATENT, (32, 32, 1), width=8)


def noise(n, seed=0):
    return np.random.default_rng(seed).standard_normal((n, LATENT)).astype("float32")


@pytest.mark.parametrize("size, resolutions", [(8, [4, 8]), (16, [4, 8, 16]), (32, [4, 8, 16, 32]),
                                               (64, [4, 8, 16, 32, 64])])
def test_every_resolution_has_its_shape(size, resolutions):
    model = StyleGenerator(LATENT, (size, size, 3), width=4)
    assert model.resolutions == resolutions and model.num_ws == 2 * len(resolutions)
    w = model.map(noise(2))
    images = model.synthesize(mix_styles(w, w, model.num_ws, model.num_ws), every_resolution=True)
    assert [tuple(image.shape) for image in images] == [(2, r, r, 3) for r in resolutions]
    final = model(noise(2)).numpy()
    assert final.shape == (2, size, size, 3) and final.min() >= -1 and final.max() <= 1


def test_sizes_that_are_not_4_times_a_power_of_2_are_refused():
    with pytest.raises(ValueError, match="4 \\* 2\\*\\*k"):
        StyleGenerator(LATENT, (28, 28, 1))
    assert [stylegan.style_image_size(s) for s in (28, 32, 33, 64)] == [32, 32, 64, 64]


@pytest.mark.parametrize("style_scale", [0.01, 1.0, 30.0])
def test_demodulated_outputs_have_unit_scale_whatever_the_style(style_scale):
    rng = np.random.default_rng(0)
    images = rng.standard_normal((4, 32, 32, 8)).astype("float32")
    kernel = rng.standard_normal((3, 3, 8, 6)).astype("float32")
    styles = (style_scale * rng.uniform(0.2, 2.0, (4, 8))).astype("float32")
    out = modulated_conv2d(images, kernel, styles).numpy()[:, 1:-1, 1:-1]  # without the zero-padded border
    np.testing.assert_allclose(out.std(axis=(1, 2)), 1.0, atol=0.1)
    plain = modulated_conv2d(images, kernel, styles, demodulate=False).numpy()[:, 1:-1, 1:-1]
    assert not np.allclose(plain.std(axis=(1, 2)), 1.0, atol=0.5)  # without demodulation the style sets the scale


def test_demodulate_off_lets_the_styles_size_reach_the_image():
    """``demodulate=False`` (``--no-demodulate``) reaches every convolution but the RGB outputs. Demodulation divides
    out the style's size (Karras et al. 2020, eq. 3): scaling every convolution's styles by 3 (their affine layers'
    kernel and bias) leaves a demodulated generator's images as they were, and changes those of one without. Fails
    if the setting is dropped on the way (both generators would keep their images) or also turns off demodulation
    where it was never on."""
    generators = {}
    for demodulate in (True, False):
        set_seed(0)
        generators[demodulate] = StyleGenerator(LATENT, (16, 16, 1), width=4, demodulate=demodulate)
    generators[False].set_weights(generators[True].get_weights())
    z = noise(4)
    for demodulate, model in generators.items():
        assert [conv.demodulate for conv in model.convs] == [demodulate] * len(model.convs)
        assert not any(rgb.demodulate for rgb in model.to_rgb)
        before = model(z, noise="const").numpy()
        for conv in model.convs:
            conv.affine.set_weights([3.0 * weight for weight in conv.affine.get_weights()])
        change = np.abs(model(z, noise="const").numpy() - before).max()
        assert change < 1e-4 if demodulate else change > 1e-2, (demodulate, change)
    assert StyleGenerator.from_config(generators[False].get_config()).demodulate is False


def test_demodulate_is_a_setting_of_the_config_and_the_command_line(tmp_path):
    config = training.TrainConfig(model="stylegan", width=4, demodulate=False)
    assert stylegan.StyleGAN().generator(config).demodulate is False
    assert stylegan.StyleGAN().generator(dataclasses.replace(config, demodulate=True)).demodulate is True
    parse = cli.build_parser().parse_args
    assert parse(["train", "--model", "stylegan", "--no-demodulate", "--out", str(tmp_path)]).demodulate is False
    assert parse(["train", "--model", "stylegan", "--out", str(tmp_path)]).demodulate is True
    (tmp_path / "config.json").write_text(json.dumps({"model": "stylegan", "dataset": "mnist", "ema": 0.0,
                                                      "image_shape": [32, 32, 1]}))
    old = training.load_config(str(tmp_path))
    assert old.demodulate is True  # a run saved before the setting existed
    with pytest.raises(ValueError, match="demodulate=True"):  # a resumed run keeps its networks
        training.write_config(dataclasses.replace(old, demodulate=False), str(tmp_path))


def test_modulation_equals_a_kernel_scaled_per_image():
    rng = np.random.default_rng(1)
    images = rng.standard_normal((2, 5, 5, 3)).astype("float32")
    kernel = rng.standard_normal((3, 3, 3, 4)).astype("float32")
    styles = rng.uniform(0.5, 2.0, (2, 3)).astype("float32")
    for i in range(2):
        scaled = kernel * styles[i][None, None, :, None]
        scaled /= np.sqrt((scaled**2).sum(axis=(0, 1, 2)) + 1e-8)
        expected = tf.nn.conv2d(images[i:i + 1], scaled, 1, "SAME").numpy()
        np.testing.assert_allclose(modulated_conv2d(images, kernel, styles).numpy()[i:i + 1], expected, atol=1e-4)


def test_the_layer_uses_the_style_of_each_image():
    layer = ModulatedConv2D(4)
    images = np.random.default_rng(2).standard_normal((2, 6, 6, 3)).astype("float32")
    w = noise(2)
    out = layer([images, w]).numpy()
    assert out.shape == (2, 6, 6, 4)
    swapped = layer([images, w[::-1]]).numpy()
    assert not np.allclose(out, swapped)


def synthesize_w(generator, w):
    """Images of one w per image (N, latent_dim) in every layer, with the fixed noise."""
    w = np.asarray(w, "float32")
    return generator.synthesize(mix_styles(w, w, generator.num_ws, generator.num_ws), noise="const").numpy()


def test_truncation_0_gives_the_mean_w_image_and_0_5_pulls_w_halfway(generator):
    w_avg = np.random.default_rng(3).standard_normal(LATENT).astype("float32")
    generator.w_avg.assign(w_avg)
    z = noise(4)
    mean_image = synthesize_w(generator, w_avg[None])
    np.testing.assert_allclose(generator(z, truncation=0.0, noise="const"), np.repeat(mean_image, 4, axis=0), atol=1e-5)
    w = generator.map(z).numpy()
    halfway = synthesize_w(generator, w_avg + 0.5 * (w - w_avg))
    np.testing.assert_allclose(generator(z, truncation=0.5, noise="const"), halfway, atol=1e-5)
    assert np.abs(halfway - synthesize_w(generator, w)).mean() > 1e-3  # not the untruncated images
    np.testing.assert_allclose(stylegan.truncate(w, w_avg, 1.0), w, atol=1e-6)


def test_style_mixing_switches_styles_at_the_crossover_layer(generator):
    first, second = generator.map(noise(2, 0)), generator.map(noise(2, 1))
    ws = mix_styles(first, second, 3, generator.num_ws).numpy()
    np.testing.assert_allclose(ws[:, :3], np.repeat(first.numpy()[:, None], 3, axis=1))
    np.testing.assert_allclose(ws[:, 3:], np.repeat(second.numpy()[:, None], generator.num_ws - 3, axis=1))
    per_image = mix_styles(first, second, np.array([1, generator.num_ws]), generator.num_ws).numpy()
    assert np.allclose(per_image[0, 1:], second[0]) and np.allclose(per_image[1], first[1])
    only_first = generator.synthesize(mix_styles(first, first, 8, 8), noise="const").numpy()
    mixed = generator.synthesize(ws, noise="const").numpy()
    assert not np.allclose(only_first, mixed)


def test_per_pixel_noise_changes_fine_detail_and_keeps_the_picture(generator):
    finest = generator.noises[-1]
    finest.strength.assign(np.full(finest.strength.shape, 0.01, "float32"))
    try:
        z = noise(2)
        quiet = generator(z, noise="none").numpy()
        one, other = generator(z).numpy(), generator(z).numpy()
        change = one - other
        assert np.abs(change).mean() > 1e-3  # every call draws new noise
        # The picture stays: each image correlates with its noise-free version (measured 0.98; 0.04 without
        # the strength, noise at full scale).
        assert all(np.corrcoef(one[i].ravel(), quiet[i].ravel())[0, 1] > 0.9 for i in range(2))
        # Detail, not brightness: the change averages out over the pixels (measured 0.07; 0.98 for one noise
        # value per image).
        assert (np.abs(change.mean(axis=(1, 2, 3))) < 0.3 * np.abs(change).mean(axis=(1, 2, 3))).all()
        np.testing.assert_array_equal(generator(z, noise="const"), generator(z, noise="const"))
    finally:
        finest.strength.assign(np.zeros(finest.strength.shape, "float32"))


def test_generate_draws_the_same_images_from_the_same_seed_per_pixel_noise_included(generator):
    # gan.generate (behind sample and evaluate) draws a style generator's per-pixel noise from its seed too. Fails if
    # the noise were drawn afresh on every call (two calls differ wherever a noise layer has strength: measured up to
    # the whole [-1, 1] range for the 60-minute reference) or left out (the images would equal the noise-free ones).
    from gan_tutorial.gan import seeded_noise

    for layer in generator.noises:
        layer.strength.assign(np.full(layer.strength.shape, 0.3, "float32"))
    try:
        first, again = generate(generator, 6, seed=4, batch_size=4), generate(generator, 6, seed=4, batch_size=4)
        np.testing.assert_array_equal(first, again)
        np.testing.assert_allclose(generate(generator, 3, seed=4, batch_size=2), first[:3], atol=1e-6)  # a prefix
        quiet = generator(seeded_noise(6, LATENT, 4), noise="none").numpy()
        assert np.abs(first - quiet).mean() > 1e-3
        assert np.abs(first - generate(generator, 6, seed=5, batch_size=4)).mean() > 1e-3
        np.testing.assert_array_equal(generate(generator, 6, seed=4, truncation=0.5),
                                      generate(generator, 6, seed=4, truncation=0.5))
    finally:
        for layer in generator.noises:
            layer.strength.assign(np.zeros(layer.strength.shape, "float32"))


def stylegan_config(**overrides):
    return training.TrainConfig.for_dataset("mnist", model="stylegan", epochs=1, batch_size=32, width=8,
                                            latent_dim=LATENT, compile_mode="graph", n_samples=16, **overrides)


def test_the_config_pads_mnist_to_32_and_checks_the_model():
    assert stylegan_config().image_shape == (32, 32, 1)
    with pytest.raises(ValueError, match="model must be one of"):
        training.TrainConfig(model="stylegan3")


@pytest.mark.slow
def test_one_training_step_moves_both_networks_and_the_mean_w(mnist_small):
    config = stylegan_config()
    set_seed(0)
    gan = compile_gan(build_gan(config), config, "graph")
    images = tf.constant(np.pad(mnist_small[0][:32], ((0, 0), (2, 2), (2, 2), (0, 0)), constant_values=-1))
    g_before = [w.numpy().copy() for w in gan.generator.trainable_weights]
    d_before = [w.numpy().copy() for w in gan.discriminator.trainable_weights]
    logs = gan.train_step(images)  # eagerly: the traced step trains in the resume and command-line tests below
    assert all(np.isfinite(float(v)) for v in logs.values())
    moved = [not np.allclose(a, b.numpy()) for a, b in zip(g_before, gan.generator.trainable_weights)]
    assert sum(moved) == len(moved), [w.name for w, m in zip(gan.generator.trainable_weights, moved) if not m]
    assert all(not np.allclose(a, b.numpy()) for a, b in zip(d_before, gan.discriminator.trainable_weights))
    assert np.abs(gan.generator.w_avg.numpy()).max() > 0


@pytest.mark.slow
def test_the_mean_w_survives_a_resume(tmp_path, mnist_small):
    config = stylegan_config()
    images = np.pad(mnist_small[0][:128], ((0, 0), (2, 2), (2, 2), (0, 0)), constant_values=-1)
    first = training.train(config, str(tmp_path), images=images, verbose=False)
    w_avg = first.gan.generator.w_avg.numpy().copy()
    assert np.abs(w_avg).max() > 0
    second = training.train(dataclasses.replace(config, epochs=2), str(tmp_path), images=images, verbose=False)
    assert second.epoch == 2 and not np.allclose(second.gan.generator.w_avg.numpy(), w_avg)
    restored = training.restore_generator(str(tmp_path))
    np.testing.assert_allclose(restored.w_avg.numpy(), second.gan.ema_generator.w_avg.numpy())
    # every weight, the layers the generator keeps in lists included (tf.train.Checkpoint saves attributes only)
    assert len(restored.weights) == len(second.gan.ema_generator.weights)
    for mine, trained in zip(restored.weights, second.gan.ema_generator.weights):
        np.testing.assert_array_equal(mine.numpy(), trained.numpy(), err_msg=mine.path)
    assert generate(restored, 3, truncation=0.7).shape == (3, 32, 32, 1)


def test_the_command_line_trains_samples_with_truncation_and_evaluates(tmp_path, mnist_classifier, capsys,
                                                                       monkeypatch):
    run_dir = tmp_path / "run"
    assert cli.main(["train", "--model", "stylegan", "--dataset", "mnist", "--out", str(run_dir), "--epochs", "1",
                     "--limit", "128", "--batch-size", "32", "--width", "8", "--latent-dim", str(LATENT),
                     "--compile", "graph", "--fid-every", "1"]) == 0
    assert json.loads((run_dir / "config.json").read_text())["image_shape"] == [32, 32, 1]
    assert (run_dir / "progress.gif").exists() and (run_dir / "generator.keras").exists()
    assert (run_dir / "fid.csv").exists()  # the FID monitor crops the 32 x 32 samples to 28 x 28 too
    # After 4 steps the generator draws nearly one flat image for every z (its samples differ by under 1 of 255),
    # so truncation cannot show in them: what is checked is that sample hands --truncation to generate, whose
    # truncation test_truncation_0_gives_the_mean_w_image_and_0_5_pulls_w_halfway checks.
    calls = []
    monkeypatch.setattr(runs, "generate", lambda *args, **options: calls.append(options) or generate(*args, **options))
    for psi in ("0.7", "0"):
        assert cli.main(["sample", str(run_dir), "--n", "6", "--truncation", psi, "--seed", "2",
                         "--out", str(tmp_path / "s.npz")]) == 0
    assert calls == [{"seed": 2, "truncation": 0.7}, {"seed": 2, "truncation": 0.0}]
    with np.load(tmp_path / "s.npz") as f:
        assert f["images"].shape == (6, 28, 28, 1) and f["images"].dtype == np.uint8  # back to MNIST's size
    capsys.readouterr()
    assert cli.main(["evaluate", str(run_dir), "--dataset", "mnist", "--n", "200"]) == 0
    report = json.loads(capsys.readouterr().out)
    # After 4 steps the samples are flat gray, far from digits: FID measured 971 and KID 743, where 1,000 real test
    # digits score 6.5 and 3.2 (test_cli).
    assert report["n"] == 200 and report["fid"] > 300 and report["kid"]["mean"] > 100


@pytest.mark.slow
def test_truncation_of_a_dcgan_generator_is_a_one_line_error_naming_the_fix(tmp_path, small_config, mnist_small,
                                                                          capsys):
    training.train(small_config, str(tmp_path), images=mnist_small[0][:128], verbose=False)
    capsys.readouterr()
    code = cli.main(["sample", str(tmp_path), "--n", "2", "--truncation", "0.5", "--out", str(tmp_path / "s.npz")])
    stderr = capsys.readouterr().err
    assert code == 2 and stderr.count("\n") == 1, stderr
    assert stderr.startswith("gan-tutorial sample: error: truncation needs a style generator (train --model stylegan)")
    assert not (tmp_path / "s.npz").exists()


def test_the_mixing_table_has_its_sources_on_the_edges(generator):
    left, top = noise(2, 4), noise(3, 5)
    table = stylegan.style_mixing_grid(generator, left, top, 4)
    assert table.shape == (3 * 4, 32, 32, 1) and np.all(table[0] == -1)
    np.testing.assert_allclose(table[1:4], generator(top, noise="const"), atol=1e-5)
    np.testing.assert_allclose(table[4], generator(left[:1], noise="const")[0], atol=1e-5)
    everything_from_left = stylegan.style_mixing_grid(generator, left, top, generator.num_ws)
    np.testing.assert_allclose(everything_from_left[5:8], np.repeat(table[4:5], 3, axis=0), atol=1e-5)


def test_truncation_rows_and_interpolation_paths(generator):
    z = noise(3, 6)
    rows = stylegan.truncation_table(generator, z, [1.0, 0.0])
    assert rows.shape == (6, 32, 32, 1) and np.allclose(rows[3:], rows[3:4], atol=1e-5)
    for space in ("w", "z"):
        path = stylegan.interpolate_styles(generator, z[0], z[1], 5, space)
        np.testing.assert_allclose(path[0], generator(z[:1], noise="const")[0], atol=1e-4)
        np.testing.assert_allclose(path[-1], generator(z[1:2], noise="const")[0], atol=1e-4)
    assert stylegan.path_jumps(np.zeros((4, 2, 2, 1))).tolist() == [0.0, 0.0, 0.0]
