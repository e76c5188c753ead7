import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_tutorial import cli, data, evaluation, training
from gan_tutorial.gan import seeded_noise


def run(capsys, *argv):
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("run")
    code = cli.main(["train", "--dataset", "mnist", "--out", str(run_dir), "--epochs", "1", "--limit", "512",
                     "--batch-size", "64", "--width", "16"])
    assert code == 0
    return run_dir


def test_train_writes_the_run(trained_run):
    assert {"progress.gif", "losses.png", "discriminator.png", "log.csv"} <= set(os.listdir(trained_run))


def test_train_on_an_image_folder_at_64_pixels(horse_folder, tmp_path, capsys):
    code, out, _ = run(capsys, "train", "--dataset", f"folder:{horse_folder}", "--image-size", "64", "--flip",
                       "--out", str(tmp_path), "--epochs", "1", "--batch-size", "32", "--width", "8")
    assert code == 0, out
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["image_shape"] == [64, 64, 3] and config["flip"] is True
    assert "9 steps" in out  # 300 images // batch 32


def test_evaluate_a_folder_run_compares_its_samples_with_the_folders_pictures(horse_folder, tmp_path, capsys):
    # By hand: the run's samples and a seeded choice of the folder's pictures, both resized to 32 x 32, through the
    # CIFAR-10 classifier's features. Fails if the run were compared with CIFAR-10's training set (another FID), or
    # if its 64 x 64 samples were refused for not being CIFAR-10's size.
    from gan_tutorial import features, metrics
    from gan_tutorial.classifier import load_classifier

    run_dir = str(tmp_path / "run")
    code, out, _ = run(capsys, "train", "--dataset", f"folder:{horse_folder}", "--image-size", "64", "--out", run_dir,
                       "--epochs", "1", "--limit", "64", "--batch-size", "32", "--width", "4", "--compile", "eager")
    assert code == 0, out
    code, out, _ = run(capsys, "evaluate", run_dir, "--n", "60")
    report = json.loads(out)
    assert code == 0 and report["settings"]["dataset"] == f"folder:{horse_folder}"
    assert report["settings"]["n_real"] == 60
    assert "resized to 32 x 32, the cifar10 classifier's size" in report["settings"]["features"]
    resize = lambda images: tf.image.resize(images, (32, 32), method="area", antialias=True).numpy()  # noqa: E731
    samples = resize(training.draw_samples(run_dir, 60, 0)[0])
    pictures = resize(features.real_images(f"folder:{horse_folder}", 60, image_size=64))
    domain = features.domain_model(load_classifier("cifar10"))
    expected = metrics.frechet_distance(features.extract(domain, samples), features.extract(domain, pictures))
    assert report["fid"] == pytest.approx(expected, abs=2e-3)
    cifar = features.real_images("cifar10", 60)
    assert abs(metrics.frechet_distance(features.extract(domain, samples), features.extract(domain, cifar))
               - report["fid"]) > 1.0
    assert evaluation.FOLDER_CLASSIFIERS[3] == "cifar10"


def test_sample_writes_uint8_images(trained_run, tmp_path, capsys):
    out = tmp_path / "samples.npz"
    code, stdout, _ = run(capsys, "sample", str(trained_run), "--n", "10", "--out", str(out))
    assert code == 0 and "10 images" in stdout
    with np.load(out) as f:
        assert f["images"].dtype == np.uint8 and f["images"].shape == (10, 28, 28, 1)


def sample_images(capsys, run_dir, out, *options):
    code, stdout, _ = run(capsys, "sample", str(run_dir), "--out", str(out), *options)
    assert code == 0
    with np.load(out) as f:
        return f["images"], stdout


def test_sample_reproduces_its_seed_and_draws_other_images_for_another(trained_run, tmp_path, capsys):
    first, _ = sample_images(capsys, trained_run, tmp_path / "a.npz", "--n", "8", "--seed", "3")
    again, _ = sample_images(capsys, trained_run, tmp_path / "b.npz", "--n", "8", "--seed", "3")
    other, _ = sample_images(capsys, trained_run, tmp_path / "c.npz", "--n", "8", "--seed", "4")
    assert first.tobytes() == again.tobytes()
    assert np.abs(first.astype(int) - other).mean() > 2  # measured 6.4 of 255 after the run's 8 steps


def test_sample_draws_from_the_generator_it_names(trained_run, tmp_path, capsys):
    # generator.keras is saved from the sampling generator at the end of training: the EMA one by default.
    saved = keras.models.load_model(trained_run / "generator.keras")
    images, stdout = sample_images(capsys, trained_run, tmp_path / "s.npz", "--n", "8", "--seed", "3")
    by_hand = data.to_uint8(saved.predict(seeded_noise(8, 64, 3), verbose=0))
    # Exactly: after 8 steps the raw generator's images differ from the EMA one's by 1 of 255 in 16% of the pixels.
    np.testing.assert_array_equal(images, by_hand)
    assert stdout.strip().endswith("from the EMA (decay 0.999) generator to " + str(tmp_path / "s.npz"))
    raw_run = tmp_path / "raw"
    assert cli.main(["train", "--dataset", "mnist", "--out", str(raw_run), "--epochs", "1", "--limit", "64",
                     "--batch-size", "64", "--width", "8", "--compile", "graph", "--ema", "0"]) == 0
    images, stdout = sample_images(capsys, raw_run, tmp_path / "r.npz", "--n", "8", "--seed", "3")
    by_hand = data.to_uint8(keras.models.load_model(raw_run / "generator.keras").predict(seeded_noise(8, 64, 3),
                                                                                           verbose=0))
    np.testing.assert_array_equal(images, by_hand)
    assert "from the raw generator" in stdout


@pytest.mark.slow
def test_bench_reports_three_modes(capsys):
    code, stdout, _ = run(capsys, "bench", "--width", "8", "--batch-size", "32", "--steps", "2")
    report = json.loads(stdout)
    assert code == 0 and set(report["results"]) == {"eager", "graph", "xla"}
    assert all(r["images_per_second"] > 0 for r in report["results"].values())
    assert report["fastest"] in report["results"]


def evaluate_npz(capsys, path, images, *options):
    np.savez(path, images=images)
    code, stdout, _ = run(capsys, "evaluate", str(path), "--dataset", "mnist", *options)
    assert code == 0
    assert not (path.parent / evaluation.EVALUATION_FILE).exists()  # only a run directory keeps its report
    return json.loads(stdout)


def test_evaluate_real_digits_are_close_to_the_training_digits_and_noise_is_far(tmp_path, capsys):
    _, (x, _) = data.load_raw("mnist")
    report = evaluate_npz(capsys, tmp_path / "real.npz", x[:1000, :, :, None])
    assert report["n"] == 1000 and report["classes_covered"] == 10
    assert report["settings"]["features"] == "domain (128 per image)" and report["settings"]["n_real"] == 1000
    assert report["inception_score"]["mean"] > 8
    noise = np.random.default_rng(0).integers(0, 256, (300, 28, 28, 1), dtype="uint8")
    far = evaluate_npz(capsys, tmp_path / "noise.npz", noise)
    # 1,000 test digits against 1,000 training digits: FID measured 6.5 (biased above 0 at this N); noise 919.
    assert 0.1 < report["fid"] < 0.05 * far["fid"], (report["fid"], far["fid"])
    # KID is unbiased: near 0 for two real sets (measured 3.2), far above it for noise (5,594).
    assert abs(report["kid"]["mean"]) < 0.01 * far["kid"]["mean"], (report["kid"], far["kid"])
    assert all(np.isfinite(r["kid"]["std"]) and r["kid"]["std"] >= 0 for r in (report, far))


def test_evaluate_with_inception_features_uses_the_inception_model(tmp_path, capsys, monkeypatch):
    from gan_tutorial import features
    from gan_tutorial.metrics import frechet_distance

    keras.utils.set_random_seed(0)
    stand_in = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(6)])
    asked = []
    monkeypatch.setattr(features, "inception_model", lambda shape: asked.append(shape) or stand_in)
    _, (x, _) = data.load_raw("mnist")
    report = evaluate_npz(capsys, tmp_path / "real.npz", x[:300, :, :, None], "--features", "inception")
    assert asked == [(28, 28, 1)]
    assert report["settings"]["features"] == f"inception (6 per image): {features.INCEPTION_NOTE}"  # says what it is
    real = features.real_images("mnist", 300, "train")
    by_hand = frechet_distance(features.extract(stand_in, data.to_model_range(x[:300, :, :, None])),
                               features.extract(stand_in, real))
    assert report["fid"] == pytest.approx(by_hand, rel=1e-3, abs=1e-3)


@pytest.mark.slow
def test_bench_quality_scores_the_generator_that_sample_uses(tmp_path, capsys):
    code, stdout, _ = run(capsys, "bench-quality", "--set", "width=8,batch_size=64,limit=128,compile_mode=graph",
                          "--max-seconds", "1", "--n", "200", "--out", str(tmp_path))
    assert code == 0 and len(stdout.strip().splitlines()) == 1  # one JSON line per configuration
    line = json.loads(stdout)
    run_dir = tmp_path / "width8_batch_size64_limit128_compile_modegraph"
    assert line["configuration"] == {"width": 8, "batch_size": 64, "limit": 128, "compile_mode": "graph"}
    assert line["run"] == str(run_dir) and line["steps"] >= 1 and line["images_per_second"] > 0
    assert line["settings"]["generator"] == "EMA (decay 0.999)" and line["settings"]["n_generated"] == 200
    code, stdout, _ = run(capsys, "evaluate", str(run_dir), "--dataset", "mnist", "--n", "200")
    report = json.loads(stdout)
    for key in ("fid", "kid", "inception_score", "confident_share", "class_shares"):
        assert line[key] == report[key], key
    # The run directory keeps what 'evaluate' printed, in one step (no partial file left behind).
    assert (run_dir / "evaluation.json").read_text() == stdout
    assert not [name for name in os.listdir(run_dir) if ".partial" in name]


def test_evaluate_refuses_images_of_the_wrong_shape(tmp_path, capsys):
    np.savez(tmp_path / "color.npz", images=np.zeros((4, 32, 32, 3), "uint8"))
    code, _, stderr = run(capsys, "evaluate", str(tmp_path / "color.npz"), "--dataset", "mnist")
    assert code == 2 and "(32, 32, 3)" in stderr and "(28, 28, 1)" in stderr


def test_unknown_dataset_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--dataset", "celeba", "--out", "x"])
    assert exit_info.value.code == 2 and "Unknown dataset 'celeba'" in capsys.readouterr().err


def test_missing_data_is_a_clear_error(tmp_path, capsys):
    code, _, stderr = run(capsys, "train", "--out", str(tmp_path / "r"), "--data-dir", str(tmp_path), "--epochs", "1")
    assert code == 2 and "mnist.npz does not exist" in stderr
