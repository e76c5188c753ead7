import json
import os

import numpy as np
import pytest

from gan_tutorial import cli, data


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


def test_sample_writes_uint8_images(trained_run, tmp_path, capsys):
    out = tmp_path / "samples.npz"
    code, stdout, _ = run(capsys, "sample", str(trained_run), "--n", "10", "--out", str(out))
    assert code == 0 and "10 images" in stdout
    with np.load(out) as f:
        assert f["images"].dtype == np.uint8 and f["images"].shape == (10, 28, 28, 1)


def test_bench_reports_three_modes(capsys):
    code, stdout, _ = run(capsys, "bench", "--width", "8", "--batch-size", "32", "--steps", "2")
    report = json.loads(stdout)
    assert code == 0 and set(report["results"]) == {"eager", "graph", "xla"}
    assert all(r["images_per_second"] > 0 for r in report["results"].values())
    assert report["fastest"] in report["results"]


def test_evaluate_real_digits(mnist_classifier, tmp_path, capsys):
    _, (x, _) = data.load_raw("mnist")
    np.savez(tmp_path / "real.npz", images=x[:1000, :, :, None])
    code, stdout, _ = run(capsys, "evaluate", str(tmp_path / "real.npz"), "--dataset", "mnist")
    report = json.loads(stdout)
    assert code == 0 and report["n"] == 1000 and report["classes_covered"] == 10
    assert report["settings"]["features"] == "domain (128 per image)" and report["settings"]["n_real"] == 1000
    assert report["inception_score"]["mean"] > 8 and report["fid"] >= 0 and set(report["kid"]) == {"mean", "std"}


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
