import csv
import dataclasses
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_tutorial import cli, cyclegan, data, training
from gan_tutorial.losses import (cycle_consistency_loss, identity_loss, least_squares_discriminator_loss,
                                 least_squares_generator_loss)


@pytest.mark.parametrize("size", [32, 64])
def test_every_network_keeps_or_patches_the_image(size):
    translator = cyclegan.build_translator((size, size, 3), width=8)
    discriminator = cyclegan.build_patch_discriminator((size, size, 3), width=8)
    assert translator.output_shape == (None, size, size, 3)
    assert discriminator.output_shape == (None, size // 4, size // 4, 1)
    images = np.random.default_rng(0).uniform(-1, 1, (2, size, size, 3)).astype("float32")
    out = translator(images).numpy()
    assert out.shape == images.shape and out.min() >= -1 and out.max() <= 1


def test_instance_norm_translates_each_image_on_its_own():
    translator = cyclegan.build_translator((32, 32, 3), width=8)
    images = np.random.default_rng(1).uniform(-1, 1, (4, 32, 32, 3)).astype("float32")
    together = translator(images, training=True).numpy()
    alone = translator(images[:1], training=True).numpy()
    np.testing.assert_allclose(together[:1], alone, atol=1e-5)


def test_patch_discriminator_scores_each_patch_from_its_own_pixels():
    discriminator = cyclegan.build_patch_discriminator((32, 32, 3), width=8)
    # Its convolutions, without instance norm (whose per-image mean and variance reach every score).
    convolutions = [layer for layer in discriminator.layers[1:]
                    if not isinstance(layer, keras.layers.GroupNormalization)]

    def scores(images):
        for layer in convolutions:
            images = layer(images)
        return images.numpy()[0, ..., 0]

    images = np.zeros((1, 32, 32, 3), "float32")
    changed = images.copy()
    changed[0, 0, 0] = 1.0  # the top-left pixel only
    difference = np.abs(scores(changed) - scores(images))
    assert difference.shape == (8, 8)
    seen = np.argwhere(difference > 0)
    assert [0, 0] in seen.tolist() and seen.max() <= 2  # scores whose 22 x 22 patch covers the pixel
    assert difference[3:, :].max() == 0 and difference[:, 3:].max() == 0


def test_cycle_loss_is_zero_for_identity_translators_and_l1_otherwise():
    images = np.random.default_rng(2).uniform(-1, 1, (3, 4, 4, 3)).astype("float32")
    identity = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Identity()])
    assert float(cycle_consistency_loss(images, identity(identity(images)))) == 0.0
    shifted = images + np.linspace(-0.5, 0.5, images.size).reshape(images.shape).astype("float32")
    assert float(cycle_consistency_loss(images, shifted)) == pytest.approx(np.abs(shifted - images).mean(), rel=1e-6)
    assert float(identity_loss(images, images)) == 0.0


def test_least_squares_losses_by_hand():
    real, fake = np.array([[1.0], [0.0]], "float32"), np.array([[0.0], [1.0]], "float32")
    # D: 0.5 * (mean((real - 1)^2) + mean(fake^2)) = 0.5 * (0.5 + 0.5)
    assert float(least_squares_discriminator_loss(real, fake)) == pytest.approx(0.5)
    assert float(least_squares_discriminator_loss(np.ones((2, 1)), np.zeros((2, 1)))) == 0.0
    # G: mean((fake - 1)^2) = (1 + 0) / 2
    assert float(least_squares_generator_loss(fake)) == pytest.approx(0.5)


def test_image_pool_fills_then_swaps_half_the_images():
    pool = cyclegan.ImagePool(50, (1, 1, 1), seed=0)
    first = np.arange(40, dtype="float32").reshape(40, 1, 1, 1)
    np.testing.assert_array_equal(pool(first).numpy(), first)  # filling: returned as they are
    second = np.arange(100, 120, dtype="float32").reshape(20, 1, 1, 1)
    np.testing.assert_array_equal(pool(second).numpy(), second)  # 10 of them fill it up
    assert int(pool.count) == 50
    stored, returned_old = 0, 0
    for start in range(1000, 5000, 100):
        batch = np.arange(start, start + 100, dtype="float32").reshape(100, 1, 1, 1)
        before = set(pool.images.numpy().ravel())
        out = pool(batch).numpy().ravel()
        old = out != batch.ravel()
        assert set(out[old]) <= before  # a swapped image is one that was stored
        returned_old += old.sum()
        stored += len(set(pool.images.numpy().ravel()) & set(batch.ravel()))
    share = returned_old / 4000
    assert 0.45 < share < 0.55, share  # each image swapped with probability 1/2
    assert stored > 0  # new images enter the pool


def small_gan(size=16, seed=0):
    config = training.TrainConfig(model="cyclegan", dataset="cifar10:horse", dataset_b="cifar10:deer",
                                  image_shape=(size, size, 3), width=4, batch_size=4, epochs=1, seed=seed)
    return cyclegan.build_cyclegan(config), config


@pytest.mark.slow
def test_one_train_step_moves_all_four_networks():
    gan, _ = small_gan()
    rng = np.random.default_rng(3)
    batch = tuple(tf.constant(rng.uniform(-1, 1, (4, 16, 16, 3)).astype("float32")) for _ in range(2))
    networks = [gan.generator_ab, gan.generator_ba, gan.discriminator_a, gan.discriminator_b]
    before = [[w.numpy().copy() for w in net.trainable_weights] for net in networks]
    logs = gan.train_step(batch)  # eagerly: the traced step is pinned in test_architectures (a 19 s trace here)
    assert all(np.isfinite(float(v)) for v in logs.values())
    assert set(logs) == set(gan.log_columns[3:])
    for net, weights in zip(networks, before):
        assert any(not np.array_equal(a, b.numpy()) for a, b in zip(weights, net.trainable_weights)), net.name
    assert int(gan.g_optimizer.iterations) == int(gan.d_optimizer.iterations) == 1
    assert int(gan.pool_a.count) == 4


def test_identity_weight_adds_exactly_its_share_of_the_identity_gradient():
    """The config's weights reach the loss: adversarial + lambda * (cycle + identity_weight * identity) (Zhu et al.
    2017, eq. 3; identity weight 0.5 * lambda in their code). With plain SGD (rate 1) from the same weights, a step at
    identity_weight 0.5 moves the translators by exactly 10 * 0.5 * the hand-computed identity gradient more than a
    step at 0. Fails if the weight is ignored (bound to a default), or not scaled by the cycle weight (a 0.5 shift)."""
    runs = {}
    for weight in (0.0, 0.5):
        config = training.TrainConfig(model="cyclegan", dataset="cifar10:horse", dataset_b="cifar10:deer",
                                      image_shape=(8, 8, 3), width=2, batch_size=2, identity_weight=weight)
        gan = cyclegan.CycleGANs().build(config)
        gan.compile(keras.optimizers.SGD(1.0), keras.optimizers.SGD(1.0), run_eagerly=True)
        runs[weight] = gan
    assert (runs[0.5].cycle_weight, runs[0.5].identity_weight) == (10.0, 0.5)
    for name in ("generator_ab", "generator_ba", "discriminator_a", "discriminator_b"):
        getattr(runs[0.5], name).set_weights(getattr(runs[0.0], name).get_weights())
    rng = np.random.default_rng(0)
    real_a, real_b = (tf.constant(rng.uniform(-1, 1, (2, 8, 8, 3)).astype("float32")) for _ in range(2))
    gan = runs[0.0]
    with tf.GradientTape() as tape:
        identity = (identity_loss(real_a, gan.generator_ba(real_a, training=True))
                    + identity_loss(real_b, gan.generator_ab(real_b, training=True)))
    gradients = tape.gradient(identity, gan.generator_variables)
    initial = [v.numpy() for v in gan.generator_variables]
    for gan in runs.values():
        gan.train_step((real_a, real_b))
    for start, before, after, gradient in zip(initial, runs[0.0].generator_variables, runs[0.5].generator_variables,
                                              gradients):
        # float32 rounding grows with the whole update (adversarial and cycle terms too): a tolerance of 1e-4 of it.
        # An atol of 2e-5 failed once in the suite, with one thread per test process.
        size = max(np.abs(before.numpy() - start).max(), np.abs(after.numpy() - start).max())
        np.testing.assert_allclose(after.numpy() - before.numpy(), -10.0 * 0.5 * gradient.numpy(),
                                   atol=1e-4 * size + 1e-7)


def test_loss_weights_come_from_the_config_and_the_command_line(tmp_path, capsys):
    config = training.TrainConfig(model="cyclegan", dataset="cifar10:horse", dataset_b="cifar10:deer",
                                  cycle_weight=3.0, identity_weight=0.0)
    gan = cyclegan.CycleGANs().build(dataclasses.replace(config, image_shape=(8, 8, 3), width=2))
    assert (gan.cycle_weight, gan.identity_weight) == (3.0, 0.0)
    args = cli.build_parser().parse_args(["train", "--model", "cyclegan", "--identity-weight", "0", "--cycle-weight",
                                          "2.5", "--out", str(tmp_path)])
    assert (args.identity_weight, args.cycle_weight) == (0.0, 2.5)
    defaults = cli.build_parser().parse_args(["train", "--out", str(tmp_path)])
    assert (defaults.cycle_weight, defaults.identity_weight) == (cyclegan.CYCLE_WEIGHT, cyclegan.IDENTITY_WEIGHT)
    with pytest.raises(ValueError, match="0 or more"):
        dataclasses.replace(config, identity_weight=-1.0)
    # A run saved before the weights were settings loads with the paper's.
    (tmp_path / "config.json").write_text('{"model": "cyclegan", "dataset": "cifar10:horse", "dataset_b": '
                                          '"cifar10:deer", "image_shape": [32, 32, 3], "ema": 0.0}')
    old = training.load_config(str(tmp_path))
    assert (old.cycle_weight, old.identity_weight) == (10.0, 0.5)
    training.write_config(dataclasses.replace(old, identity_weight=0.0), str(tmp_path))
    assert training.load_config(str(tmp_path)).identity_weight == 0.0


def test_learning_rate_constant_for_half_the_run_then_linear_to_zero():
    assert [cyclegan.decay_factor(p) for p in (0.0, 0.5, 0.75, 1.0, 1.2)] == [1.0, 1.0, 0.5, 0.0, 0.0]


def write_pictures(folder, n, size, seed):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        pixels = rng.integers(0, 256, (size, size + 6, 3), dtype="uint8")
        tf.io.write_file(os.path.join(folder, f"p{i}.png"), tf.io.encode_png(pixels))
    return folder


@pytest.fixture(scope="module")
def cycle_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("cycle")
    a = write_pictures(str(root / "a"), 12, 20, 0)
    b = write_pictures(str(root / "b"), 12, 20, 1)
    run_dir = str(root / "run")
    code = cli.main(["train", "--model", "cyclegan", "--dataset", f"folder:{a}", "--dataset-b", f"folder:{b}",
                     "--image-size", "16", "--width", "4", "--batch-size", "4", "--epochs", "2",
                     "--compile", "eager", "--out", run_dir])  # eager: no 30 s trace for 6 steps
    assert code == 0
    return run_dir, a


def log_steps(run_dir):
    with open(os.path.join(run_dir, "log.csv"), newline="") as f:
        return [row for row in csv.DictReader(f)]


def test_training_writes_grids_curves_log_and_translators(cycle_run):
    run_dir, _ = cycle_run
    for name in ["progress.gif", "losses.png", "discriminator.png", "generator_a2b.keras", "generator_b2a.keras",
                 "samples/epoch_0000.png", "samples/epoch_0002.png"]:
        assert os.path.getsize(os.path.join(run_dir, name)) > 0, name
    rows = log_steps(run_dir)
    assert [int(r["step"]) for r in rows] == list(range(1, 7))  # 12 images per domain, batch 4: 3 steps an epoch
    assert {"cycle_loss", "identity_loss"} <= set(rows[0])
    grid = tf.io.decode_png(tf.io.read_file(os.path.join(run_dir, "samples/epoch_0002.png"))).numpy()
    assert grid.shape[0] == 2 * (6 * (16 + 2) + 2)  # six rows: a, G(a), F(G(a)), b, F(b), G(F(b)), 2x enlarged
    assert keras.models.load_model(os.path.join(run_dir, "generator_a2b.keras")).output_shape == (None, 16, 16, 3)


def test_a_cyclegan_run_resumes(cycle_run, tmp_path):
    run_dir, _ = cycle_run
    config = training.load_config(run_dir)
    assert (config.model, config.width, config.batch_size) == ("cyclegan", 4, 4)
    saved = [w.numpy() for w in cyclegan.restore_translators(run_dir)[0].weights]

    class CheckRestored(keras.callbacks.Callback):
        def on_train_begin(inner, logs=None):
            restored = [w.numpy() for w in inner.model.generator_ab.weights]
            assert all(np.array_equal(x, y) for x, y in zip(saved, restored))
            assert int(inner.model.pool_b.count) == 24  # the pools come back too: 6 steps of 4 fakes

    result = training.train(dataclasses.replace(config, epochs=3), run_dir, verbose=False,
                            extra_callbacks=[CheckRestored()])
    assert (result.epoch, result.step) == (3, 9)
    assert [int(r["step"]) for r in log_steps(run_dir)] == list(range(1, 10))


def test_translate_writes_pictures_of_the_inputs_size(cycle_run, tmp_path, capsys):
    run_dir, a = cycle_run
    single = str(tmp_path / "one.png")
    assert cli.main(["translate", run_dir, os.path.join(a, "p0.png"), "--out", single, "--direction", "b2a"]) == 0
    assert tf.io.decode_png(tf.io.read_file(single)).shape == (20, 26, 3)
    (tmp_path / "mixed").mkdir()
    write_pictures(str(tmp_path / "mixed" / "sub"), 2, 40, 5)
    (tmp_path / "mixed" / "notes.txt").write_text("not a picture")
    with pytest.warns(data.SkippedFilesWarning, match="notes.txt"):
        assert cli.main(["translate", run_dir, str(tmp_path / "mixed"), "--out", str(tmp_path / "out")]) == 0
    assert tf.io.decode_png(tf.io.read_file(str(tmp_path / "out" / "sub" / "p1.png"))).shape == (40, 46, 3)


def test_translate_pretrained_uses_the_exported_translators(cycle_run, tmp_path, monkeypatch):
    # Fails if the reference kept one translator only, or another run's: the pictures would differ.
    from gan_tutorial import reference

    run_dir, a = cycle_run
    monkeypatch.setattr(reference, "REFERENCE_DIR", str(tmp_path / "reference"))
    reference.export(run_dir, "pictures")
    source, written = os.path.join(a, "p0.png"), []
    for direction in ("a2b", "b2a"):
        for chosen in (["--pretrained", "pictures"], [run_dir]):
            out = str(tmp_path / f"{direction}{len(written)}.png")
            assert cli.main(["translate", *chosen, source, "--out", out, "--direction", direction]) == 0
            written.append(tf.io.decode_png(tf.io.read_file(out)).numpy())
    np.testing.assert_array_equal(written[0], written[1])
    np.testing.assert_array_equal(written[2], written[3])
    assert not np.array_equal(written[0], written[2])


def test_translate_applies_the_translator_of_its_direction_to_the_resized_picture(cycle_run, tmp_path):
    run_dir, a = cycle_run
    source = os.path.join(a, "p0.png")
    picture = tf.io.decode_png(tf.io.read_file(source)).numpy()  # 20 x 26
    translators = {direction: keras.models.load_model(os.path.join(run_dir, f"generator_{direction}.keras"))
                   for direction in ("a2b", "b2a")}
    small = tf.image.resize(picture.astype("float32"), (16, 16), antialias=True).numpy()  # the run's 16 x 16
    written = {}
    for direction, options in (("a2b", []), ("b2a", ["--direction", "b2a"])):  # a2b is the default
        out = str(tmp_path / f"{direction}.png")
        assert cli.main(["translate", run_dir, source, "--out", out, *options]) == 0
        written[direction] = tf.io.decode_png(tf.io.read_file(out)).numpy().astype("int64")
        by_hand = translators[direction](data.to_model_range(small[None]), training=False)[0]
        expected = data.to_uint8(tf.image.resize(by_hand, picture.shape[:2]).numpy())
        np.testing.assert_allclose(written[direction], expected, atol=1)
    # Neither a copy of the input nor the other direction (measured: 78 and 67 of 255 apart on average).
    assert np.abs(written["a2b"] - picture).mean() > 30
    assert np.abs(written["a2b"] - written["b2a"]).mean() > 25


def test_bad_folders_and_options_are_one_line_errors(cycle_run, tmp_path, capsys):
    run_dir, a = cycle_run
    empty = tmp_path / "empty"
    empty.mkdir()
    out = str(tmp_path / "run")
    cases = [
        (["train", "--model", "cyclegan", "--dataset", f"folder:{a}", "--dataset-b", f"folder:{empty}",
          "--image-size", "16", "--epochs", "1", "--out", out], "No readable images"),
        (["train", "--model", "cyclegan", "--dataset", f"folder:{a}", "--out", out], "needs both domains"),
        (["train", "--dataset-b", "cifar10:deer", "--out", out], "--dataset-b is for --model cyclegan"),
        (["train", "--model", "cyclegan", "--compile", "xla", "--out", out], "does not compile with XLA"),
        (["translate", run_dir, str(empty), "--out", out], "No readable images"),
        (["translate", run_dir, str(tmp_path / "missing.png"), "--out", out], "does not exist"),
    ]
    for argv, message in cases:
        assert cli.main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err


def test_class_datasets_name_one_class():
    assert data.check_dataset("cifar10:horse") == "cifar10:horse"
    assert data.image_shape_of("cifar10:deer") == (32, 32, 3)
    with pytest.raises(ValueError, match="no class 'zebra'"):
        data.check_dataset("cifar10:zebra")
    with pytest.raises(ValueError, match="one class"):
        cyclegan.domain_images("cifar10", "test", 32)
    horses = data.class_images("cifar10:horse", "test", limit=5)
    assert horses.shape == (5, 32, 32, 3)


def test_cycle_report_of_identity_translators():
    identity = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Identity()])
    images = np.random.default_rng(4).uniform(-1, 1, (6, 8, 8, 3)).astype("float32")
    report = cyclegan.cycle_report(identity, identity, images, images[::-1])
    assert report["a2b"]["cycle_mae"] == report["a2b"]["change_mae"] == 0.0
    assert report["b2a"]["unrelated_mae"] == pytest.approx(np.abs(np.roll(images[::-1], 1, 0) - images[::-1]).mean()
                                                           * 127.5, abs=0.01)


def test_evaluate_a_cyclegan_run_reports_its_cycle_on_each_domains_pictures(cycle_run, capsys):
    # Fails if evaluate asked the run for samples from noise (a CycleGAN draws none), if the headline cycle error
    # were one direction's or a sum, or if the report kept nothing in the run.
    import json

    from gan_tutorial.runs import EVALUATION_FILE

    run_dir, _ = cycle_run
    assert cli.main(["evaluate", run_dir, "--n", "5"]) == 0
    printed = json.loads(capsys.readouterr().out)
    with open(os.path.join(run_dir, EVALUATION_FILE)) as file:
        assert json.load(file) == printed
    config = training.load_config(run_dir)
    generator_ab, generator_ba = cyclegan.restore_translators(run_dir)
    images = [cyclegan.domain_images(name, "test", 16, limit=5) for name in (config.dataset, config.dataset_b)]
    expected = cyclegan.cycle_report(generator_ab, generator_ba, *images)
    assert printed["a2b"] == expected["a2b"] and printed["b2a"] == expected["b2a"]
    assert printed["cycle_mae"] == pytest.approx((expected["a2b"]["cycle_mae"] + expected["b2a"]["cycle_mae"]) / 2,
                                                 abs=0.006)
    assert printed["n"] == 10 and printed["held_out"] is False  # two folders: no other split, no classifier
    assert "translated_to_target" not in printed


def test_translation_report_reads_translations_as_the_target_class_on_the_test_split():
    # Identity translators leave every picture as it is: their translations are read as the target class exactly
    # as often as the inputs are. Fails for the share read as the *source* (the classifier reads most test horses
    # as horses), for training pictures instead of the test split, or for one direction's share alone.
    from gan_tutorial.classifier import load_classifier

    identity = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Identity()])
    config = training.TrainConfig(model="cyclegan", dataset="cifar10:horse", dataset_b="cifar10:deer",
                                  image_shape=(32, 32, 3))
    report = cyclegan.translation_report(identity, identity, config, 300)
    assert report["n"] == 600 and report["held_out"] is True and report["cycle_mae"] == 0.0
    classifier, names = load_classifier("cifar10"), data.CLASS_NAMES["cifar10"]
    for direction, (source, target) in {"a2b": ("horse", "deer"), "b2a": ("deer", "horse")}.items():
        row = report[direction]
        read = classifier.predict(data.class_images(f"cifar10:{source}", "test", limit=300), verbose=0).argmax(axis=1)
        assert row["input_read_as_target"] == pytest.approx(np.mean(read == names.index(target)), abs=1e-4)
        assert row["input_read_as_source"] == pytest.approx(np.mean(read == names.index(source)), abs=1e-4)
        assert row["translated_read_as_target"] == row["input_read_as_target"]
        assert row["translated_read_as_source"] > 0.5 > row["translated_read_as_target"]
    assert report["translated_to_target"] == pytest.approx(
        (report["a2b"]["translated_read_as_target"] + report["b2a"]["translated_read_as_target"]) / 2, abs=1e-4)
