import dataclasses
import json
import os

import keras
import numpy as np
import pytest

from gan_tutorial import cli, conditional, data, features, training
from gan_tutorial.gan import compile_gan, sampling_generator, seeded_noise
from gan_tutorial.metrics import frechet_distance, label_agreement
from gan_tutorial.models import build_discriminator


def config_for(dataset, style, **overrides):
    settings = dict(epochs=1, batch_size=32, width=8, compile_mode="graph", n_samples=16, conditional=True,
                    conditioning=style)
    return training.TrainConfig.for_dataset(dataset, **{**settings, **overrides})


def run(capsys, *argv):
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("dataset", ["mnist", "cifar10"])
@pytest.mark.parametrize("style", conditional.CONDITIONING_STYLES)
def test_both_networks_take_the_label(dataset, style):
    config = config_for(dataset, style)
    gan = conditional.build_conditional_gan(config)
    shape = data.IMAGE_SHAPES[dataset]
    noise, labels = np.zeros((5, config.latent_dim), "float32"), np.arange(5, dtype="int32")
    images = gan.generator([noise, labels])
    assert gan.generator.input_shape == [(None, config.latent_dim), (None,)] and images.shape == (5, *shape)
    assert gan.discriminator([images, labels]).shape == (5, 1)
    body_channels = shape[-1] + (1 if style == "concat" else 0)
    assert gan.discriminator.body.input_shape == (None, *shape[:2], body_channels)
    assert isinstance(gan, conditional.ConditionalGAN) and gan.ema_generator is not None  # the default stabilizers


def test_the_label_changes_the_image_at_fixed_noise():
    generator = conditional.build_conditional_generator(10, 16, (28, 28, 1), 8, "transpose")
    noise = np.random.default_rng(0).standard_normal((1, 16)).astype("float32")
    three, seven = (generator([noise, np.array([k], "int32")]).numpy() for k in (3, 7))
    assert np.abs(three - seven).max() > 1e-4
    again = generator([noise, np.array([3], "int32")]).numpy()
    np.testing.assert_array_equal(three, again)


def test_the_projection_logit_is_the_linear_logit_plus_the_embedding_dot_features():
    keras.utils.set_random_seed(0)
    body = build_discriminator((28, 28, 1), width=2)
    model = conditional.ConditionalDiscriminator(body, 3, "projection")
    images = np.random.default_rng(1).uniform(-1, 1, (4, 28, 28, 1)).astype("float32")
    labels = np.array([0, 2, 1, 2], "int32")
    features = keras.Sequential(body.layers[:-1])(images).numpy()
    kernel, bias = (w.numpy() for w in body.layers[-1].weights)
    table = model.label_embedding.embeddings.numpy()
    by_hand = features @ kernel + bias + (table[labels] * features).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model([images, labels]).numpy(), by_hand, rtol=1e-5, atol=1e-5)


def test_spectral_norm_normalizes_the_projection_embedding_too():
    from gan_tutorial.architectures import build_gan
    from gan_tutorial.layers import SpectralNorm

    config = training.TrainConfig.for_dataset("mnist", epochs=1, width=8, conditional=True, conditioning="projection",
                                              spectral_norm=True)
    embedding = build_gan(config).discriminator.label_embedding
    assert isinstance(embedding, SpectralNorm) and isinstance(embedding.layer, keras.layers.Embedding)
    embedding.layer.embeddings.assign(embedding.layer.embeddings * 50.0)
    for _ in range(50):  # one power iteration per training call
        embedding(np.arange(10), training=True)
    table = np.asarray(embedding(np.arange(10), training=False))  # every class's row, as the projection uses it
    assert np.linalg.svd(table, compute_uv=False)[0] == pytest.approx(1.0, abs=0.01)
    plain = build_gan(dataclasses.replace(config, spectral_norm=False)).discriminator.label_embedding
    assert type(plain) is keras.layers.Embedding


def test_the_concat_discriminator_reads_the_label_plane():
    keras.utils.set_random_seed(0)
    model = conditional.build_conditional_gan(config_for("mnist", "concat", minibatch_discrimination=0)).discriminator
    images = np.zeros((2, 28, 28, 1), "float32")
    logits = model([images, np.array([0, 1], "int32")]).numpy()
    assert logits[0, 0] != logits[1, 0]  # the same image with two labels is judged differently


@pytest.mark.parametrize("style", conditional.CONDITIONING_STYLES)
def test_one_step_moves_both_networks_and_the_embeddings(style, mnist_small):
    config = config_for("mnist", style)
    gan = compile_gan(conditional.build_conditional_gan(config), config, "graph")
    before = {name: [w.numpy().copy() for w in getattr(gan, name).trainable_weights]
              for name in ("generator", "discriminator")}
    images, labels = mnist_small[0][:32], mnist_small[1][:32].astype("int32")
    logs = gan.train_step((keras.ops.convert_to_tensor(images), keras.ops.convert_to_tensor(labels)))
    assert all(np.isfinite(float(value)) for value in logs.values())
    for name, weights in before.items():
        after = getattr(gan, name).trainable_weights
        assert all(not np.array_equal(a, b.numpy()) for a, b in zip(weights, after)), name
    assert not np.array_equal(before["generator"][0], gan.generator.get_layer("label_embedding").embeddings.numpy())


def test_labeled_pipeline_keeps_images_and_labels_together():
    images = np.arange(8, dtype="float32").reshape(8, 1, 1, 1) * np.ones((8, 2, 2, 1), "float32")
    labels = np.arange(8)
    for batch, batch_labels in data.make_labeled_dataset(images, labels, 4, seed=0):
        np.testing.assert_array_equal(batch.numpy()[:, 0, 0, 0], batch_labels.numpy())
        assert batch_labels.dtype == "int32"


def test_grid_inputs_put_one_class_per_row():
    noise = np.arange(30, dtype="float32").reshape(3, 10)
    grid_noise, labels = conditional.class_grid_inputs(noise, 4)
    assert grid_noise.shape == (12, 10) and labels.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    np.testing.assert_array_equal(grid_noise[3:6], noise)


def test_label_agreement_counts_the_requested_class():
    probabilities = np.array([[0.95, 0.05], [0.6, 0.4], [0.2, 0.8], [0.4, 0.6]])
    report = label_agreement(probabilities, [0, 1, 1, 0], threshold=0.9)
    assert report == {"agreement": 0.5, "confident_agreement": 0.25, "per_class": {"0": 0.5, "1": 0.5}}
    with pytest.raises(ValueError):
        label_agreement(probabilities, [0, 1])


def test_parse_labels():
    assert conditional.parse_labels("all", 5, 3).tolist() == [0, 1, 2, 0, 1]
    assert conditional.parse_labels("7", 2, 10).tolist() == [7, 7]
    with pytest.raises(ValueError, match="out of range"):
        conditional.parse_labels("10", 2, 10)
    with pytest.raises(ValueError, match="class number"):
        conditional.parse_labels("seven", 2, 10)


@pytest.fixture(scope="module")
def conditional_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("conditional_run")
    code = cli.main(["train", "--dataset", "mnist", "--conditional", "--conditioning", "projection", "--out",
                     str(run_dir), "--epochs", "1", "--limit", "256", "--batch-size", "64", "--width", "8", "--compile", "graph"])
    assert code == 0
    return run_dir


def test_a_conditional_run_records_itself_and_draws_class_rows(conditional_run):
    config = json.loads((conditional_run / "config.json").read_text())
    assert (config["conditional"], config["conditioning"], config["n_classes"]) == (True, "projection", 10)
    grid = keras.utils.load_img(conditional_run / "samples" / "epoch_0001.png")
    assert grid.size == (2 * (10 * 30 + 2),) * 2  # 10 x 10 images of 28 pixels, 2-pixel gaps, shown 2x
    generator = training.restore_generator(str(conditional_run))
    assert generator.input_shape == [(None, 64), (None,)]
    saved = keras.models.load_model(conditional_run / "generator.keras")  # the EMA generator at the end of training
    inputs = [seeded_noise(4, 64, 0), np.arange(4, dtype="int32")]
    np.testing.assert_allclose(generator.predict(inputs, verbose=0), saved.predict(inputs, verbose=0), atol=1e-5)


def test_sample_writes_the_requested_labels(conditional_run, tmp_path, capsys):
    out = tmp_path / "sevens.npz"
    code, stdout, _ = run(capsys, "sample", str(conditional_run), "--label", "7", "--n", "12", "--out", str(out))
    assert code == 0 and "of class 7" in stdout
    with np.load(out) as f:
        assert f["images"].shape == (12, 28, 28, 1) and f["labels"].tolist() == [7] * 12
        sevens = f["images"].astype("int64")
    # Too short a run for the classifier to read its digits: the images are exactly those the EMA generator draws
    # for label 7 at seeded_noise(12, 64, 0), by hand. After 4 steps the label moves pixels by 1 of 255 at most:
    # those of label 3 differ in 15% of the pixels, of label 8 in 12%.
    generator = keras.models.load_model(conditional_run / "generator.keras")
    by_hand = {label: data.to_uint8(generator.predict([seeded_noise(12, 64, 0), np.full(12, label, "int32")],
                                                      verbose=0)) for label in (7, 3)}
    np.testing.assert_array_equal(sevens, by_hand[7])
    assert (sevens != by_hand[3]).mean() > 0.05
    code, _, _ = run(capsys, "sample", str(conditional_run), "--label", "all", "--n", "20", "--out", str(out))
    with np.load(out) as f:
        assert code == 0 and np.bincount(f["labels"]).tolist() == [2] * 10


def test_sample_label_errors(conditional_run, tmp_path, capsys):
    code, _, stderr = run(capsys, "sample", str(conditional_run), "--label", "10", "--out", str(tmp_path / "x.npz"))
    assert code == 2 and "--label 10 is out of range" in stderr and len(stderr.strip().splitlines()) == 1
    unconditional = tmp_path / "plain"
    training.train(training.TrainConfig.for_dataset("mnist", epochs=1, limit=64, width=8, compile_mode="graph"),
                   str(unconditional), verbose=False)
    code, _, stderr = run(capsys, "sample", str(unconditional), "--label", "3", "--out", str(tmp_path / "x.npz"))
    assert code == 2 and "unconditional GAN" in stderr and len(stderr.strip().splitlines()) == 1


def drawn_by_hand(run_dir, n, seed=0):
    """What 'evaluate' and score_run should score: n images of the run's EMA generator (generator.keras), the
    classes 0, 1, ..., 9, 0, ... in turn at seeded_noise(n, 64, seed), and those labels."""
    labels = np.arange(n, dtype="int32") % 10
    generator = keras.models.load_model(run_dir / "generator.keras")
    return generator.predict([seeded_noise(n, 64, seed), labels], verbose=0), labels


def test_evaluate_reports_the_label_agreement_of_the_classes_drawn(conditional_run, capsys, monkeypatch):
    from gan_tutorial import classifier

    # The MNIST classifier reads every image of this tiny run as one digit, which any labels, in any order, agree
    # with equally; an untrained classifier reads them as several, so the agreement depends on which label goes
    # with which image.
    keras.utils.set_random_seed(0)
    stand_in = classifier.build_classifier((28, 28, 1), widths=(4,))
    monkeypatch.setattr(classifier, "load_classifier", lambda dataset, data_dir=None: stand_in)
    code, stdout, _ = run(capsys, "evaluate", str(conditional_run), "--dataset", "mnist", "--n", "200")
    report = json.loads(stdout)
    images, labels = drawn_by_hand(conditional_run, 200)
    by_hand = label_agreement(stand_in.predict(images, verbose=0), labels, 0.9, data.CLASS_NAMES["mnist"])
    assert code == 0 and report["label_agreement"] == by_hand
    assert len(by_hand["per_class"]) == 10 and len(set(by_hand["per_class"].values())) > 1


@pytest.mark.slow
def test_a_conditional_run_resumes(tmp_path, mnist_small):
    images, labels = mnist_small[0][:128], mnist_small[1][:128]
    config = config_for("mnist", "concat", batch_size=64)
    first = training.train(config, str(tmp_path), images=(images, labels), verbose=False)
    embedding = sampling_generator(first.gan).get_layer("label_embedding").embeddings.numpy().copy()
    resumed = training.train(dataclasses.replace(config, epochs=2), str(tmp_path), images=(images, labels),
                             verbose=False)
    assert (first.step, resumed.step, resumed.epoch) == (2, 4, 2)
    assert not np.array_equal(embedding, sampling_generator(resumed.gan).get_layer("label_embedding").embeddings.numpy())
    with pytest.raises(ValueError, match="conditioning"):
        training.train(dataclasses.replace(config, epochs=3, conditioning="projection"), str(tmp_path),
                       images=(images, labels), verbose=False)


def test_a_folder_needs_a_subfolder_per_class(horse_folder, tmp_path, capsys):
    code, _, stderr = run(capsys, "train", "--dataset", f"folder:{horse_folder}", "--conditional", "--out",
                          str(tmp_path / "r"), "--epochs", "1", "--image-size", "32")
    assert code == 2 and "subfolder" in stderr and len(stderr.strip().splitlines()) == 1


def test_labeled_folders_train(horse_folder, tmp_path):
    for name, files in (("horse", sorted(os.listdir(horse_folder))[:40]), ("other", sorted(os.listdir(horse_folder))[40:80])):
        os.makedirs(tmp_path / "pictures" / name)
        for file in files:
            os.symlink(horse_folder / file, tmp_path / "pictures" / name / file)
    images, labels, names = data.load_labeled_folder(str(tmp_path / "pictures"), 32)
    assert images.shape == (80, 32, 32, 3) and names == ["horse", "other"] and np.bincount(labels).tolist() == [40, 40]
    config = training.TrainConfig.for_dataset(f"folder:{tmp_path / 'pictures'}", 32, epochs=1, batch_size=16, width=8,
                                              compile_mode="graph", conditional=True)
    result = training.train(config, str(tmp_path / "run"), verbose=False)
    assert result.step == 5 and training.load_config(str(tmp_path / "run")).n_classes == 2


def test_score_run_and_its_table(conditional_run):
    from gan_tutorial.classifier import build_classifier
    from gan_tutorial import stabilization

    scorer = stabilization.Scorer.for_dataset("mnist", n=50, classifier=build_classifier((28, 28, 1), widths=(4,)))
    row = {"name": "tiny", **stabilization.score_run(str(conditional_run), scorer)}
    images, labels = drawn_by_hand(conditional_run, 50)
    fid = frechet_distance(features.extract(scorer.feature_model, images), scorer.real_features)
    assert row["steps"] == 4 and fid > 1 and row["domain_fid"] == pytest.approx(fid, abs=0.011)
    probabilities = scorer.classifier.predict(images, verbose=0)
    assert row["per_class"] == label_agreement(probabilities, labels, 0.9, data.CLASS_NAMES["mnist"])["per_class"]
    table = conditional.results_table([row])
    assert len(table.splitlines()) == 3 and table.splitlines()[2].startswith("| tiny | 4 |")


def test_interpolating_classes_ends_at_the_two_classes(conditional_run):
    generator = training.restore_generator(str(conditional_run))
    noise = seeded_noise(1, 64, 0)
    path = conditional.interpolate_classes(generator, noise[0], 3, 8, 5)
    ends = generator.predict([np.repeat(noise, 2, axis=0), np.array([3, 8], "int32")], verbose=0)
    assert path.shape == (5, 28, 28, 1)
    np.testing.assert_allclose(path[[0, -1]], ends, atol=1e-5)


def test_class_batchnorm_starts_as_batchnorm_and_scales_by_the_embedding():
    rng = np.random.default_rng(0)
    features, condition = rng.normal(2.0, 3.0, (6, 4, 4, 5)).astype("float32"), rng.normal(size=(6, 7)).astype("float32")
    layer = conditional.ClassBatchNormalization(condition_dim=3)
    plain = keras.layers.BatchNormalization(center=False, scale=False)
    at_start = layer([features, condition], training=True).numpy()
    np.testing.assert_allclose(at_start, plain(features, training=True).numpy(), atol=1e-5)  # whatever the label
    scale_kernel, shift_kernel = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    layer.scale.kernel.assign(scale_kernel)
    layer.shift.kernel.assign(shift_kernel)
    embedded = condition[:, -3:]  # the label's embedding is the input's tail
    by_hand = at_start * (1 + embedded @ scale_kernel)[:, None, None, :] + (embedded @ shift_kernel)[:, None, None, :]
    np.testing.assert_allclose(layer([features, condition], training=True).numpy(), by_hand, rtol=1e-4, atol=1e-4)


def test_the_class_batchnorm_generator_replaces_every_batchnorm():
    plain = conditional.build_conditional_generator(10, 16, (32, 32, 3), 8, "resize").get_layer("generator")
    generator = conditional.build_conditional_generator(10, 16, (32, 32, 3), 8, "resize", class_batchnorm=True)
    core = generator.get_layer("generator")
    kinds = [type(layer).__name__ for layer in core.layers[1:]]
    assert kinds == [type(layer).__name__.replace("BatchNormalization", "ClassBatchNormalization")
                     for layer in plain.layers]
    assert core.input_shape == plain.input_shape == (None, 16 + conditional.EMBEDDING_DIM)
    noise = seeded_noise(2, 16, 0)
    assert generator([noise, np.array([1, 2], "int32")]).shape == (2, 32, 32, 3)


@pytest.mark.slow
def test_a_class_batchnorm_run_trains_saves_and_resumes(tmp_path, capsys):
    run_dir = tmp_path / "cbn"
    argv = ["train", "--dataset", "mnist", "--conditional", "--class-batchnorm", "--out", str(run_dir), "--limit", "128",
            "--batch-size", "64", "--width", "8", "--compile", "graph"]
    assert run(capsys, *argv, "--epochs", "1")[0] == 0
    assert training.load_config(str(run_dir)).class_batchnorm
    generator = training.restore_generator(str(run_dir))
    scales = [layer.scale.kernel.numpy() for layer in generator.get_layer("generator").layers
              if isinstance(layer, conditional.ClassBatchNormalization)]
    assert len(scales) == 2 and all(np.abs(kernel).max() > 0 for kernel in scales)  # they start at 0 and learn
    saved = keras.models.load_model(run_dir / "generator.keras")
    inputs = [seeded_noise(4, 64, 0), np.arange(4, dtype="int32")]
    np.testing.assert_allclose(generator.predict(inputs, verbose=0), saved.predict(inputs, verbose=0), atol=1e-5)
    assert run(capsys, *argv, "--epochs", "2")[0] == 0
    assert not np.array_equal(scales[0], training.restore_generator(str(run_dir)).get_layer("generator")
                              .layers[2].scale.kernel.numpy())
    code, _, stderr = run(capsys, *[a for a in argv if a != "--class-batchnorm"], "--epochs", "3")
    assert code == 2 and "class_batchnorm=True" in stderr


def test_class_batchnorm_needs_a_conditional_gan(tmp_path, capsys):
    code, _, stderr = run(capsys, "train", "--dataset", "mnist", "--class-batchnorm", "--out", str(tmp_path / "r"),
                          "--epochs", "1")
    assert code == 2 and "needs a conditional GAN" in stderr and len(stderr.strip().splitlines()) == 1


def test_classes_keep_exactly_those_images_with_their_label_ids():
    """``classes`` (``--classes``) keeps every training image of the chosen classes, in order, and no other; ``limit``
    then takes the first of them. Fails for a filter applied after ``limit`` (fewer images), one that renumbers the
    labels 0..k-1, or one that drops the order."""
    images, labels = data.load_images("mnist", "train")
    chosen = np.isin(labels, (0, 1, 7))
    kept, kept_labels = data.training_images("mnist", labels=True, classes="7,0,1")
    assert set(kept_labels.tolist()) == {0, 1, 7} and len(kept) == chosen.sum()
    np.testing.assert_array_equal(kept_labels, labels[chosen])
    np.testing.assert_array_equal(kept[:50], images[chosen][:50])
    first = data.training_images("mnist", limit=100, classes=(0, 1, 7))
    np.testing.assert_array_equal(first, images[chosen][:100])
    assert data.check_classes("cifar10", "cat,dog") == (3, 5)


def test_a_conditional_gan_on_some_classes_keeps_every_class_of_the_dataset():
    """The honest design: labels keep their ids and the networks the dataset's 10 classes, so that a class left out
    of training can still be asked for ('sample --label'). Fails if n_classes shrinks to the classes kept."""
    config = training.TrainConfig.for_dataset("mnist", conditional=True, classes=[2, 5], limit=64, width=4)
    assert config.classes == (2, 5) and config.n_classes == 10
    config, images, labels = conditional.Conditional().training_data(config, None, None)
    assert config.n_classes == 10 and len(images) == 64 and set(labels.tolist()) == {2, 5}


def test_bad_classes_are_one_line_errors(tmp_path, capsys):
    for bad, message in (("0,12", "no class '12'"), ("seven", "no class 'seven'"), (",", "names no class")):
        assert cli.main(["train", "--classes", bad, "--out", str(tmp_path / "run")]) == 2
        error = capsys.readouterr().err
        assert error.startswith("gan-tutorial train: error: ") and message in error and error.count("\n") == 1
    assert cli.main(["train", "--model", "cyclegan", "--classes", "1", "--out", str(tmp_path / "run")]) == 2
    assert "labeled dataset" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_classes_and_the_embedding_size_are_saved_with_the_run(tmp_path):
    config = training.TrainConfig(conditional=True, classes=(0, 3), embedding_dim=3)
    training.write_config(config, str(tmp_path))
    saved = training.load_config(str(tmp_path))
    assert (saved.classes, saved.embedding_dim) == ((0, 3), 3)
    generator = conditional.conditional_generator_of(dataclasses.replace(saved, width=4))
    assert generator.get_layer("label_embedding").output_dim == 3
    args = cli.build_parser().parse_args(["train", "--embedding-dim", "2", "--classes", "0,1", "--out", "x"])
    assert (args.embedding_dim, args.classes) == (2, "0,1")
