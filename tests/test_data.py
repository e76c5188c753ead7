import os

import keras
import numpy as np
import pytest

from gan_tutorial import data
from conftest import assert_in_model_range


def test_mnist_images_are_nhwc_in_model_range(mnist_small):
    images, labels = mnist_small
    assert images.shape == (1024, 28, 28, 1)
    assert labels.shape == (1024,) and set(np.unique(labels)) == set(range(10))
    assert_in_model_range(images)
    assert images.min() == -1.0 and images.max() == 1.0


def test_cifar10_size_comes_from_the_data():
    images, labels = data.load_images("cifar10", "test", limit=100)
    assert images.shape == (100, 32, 32, 3) and labels.shape == (100,)
    assert_in_model_range(images)


def test_uint8_round_trip_is_exact():
    pixels = np.arange(256, dtype="uint8").reshape(1, 16, 16, 1)
    assert np.array_equal(data.to_uint8(data.to_model_range(pixels)), pixels)


def test_wrong_image_rank_is_refused():
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        data.to_model_range(np.zeros((28, 28)))


def test_unknown_dataset_names_the_choices():
    with pytest.raises(ValueError, match="cifar10.*mnist"):
        data.load_images("fashion")


def test_missing_local_file_says_which_file_and_how_to_get_it(tmp_path):
    with pytest.raises(data.DataNotFoundError) as error:
        data.load_raw("mnist", data_dir=str(tmp_path))
    message = str(error.value)
    assert str(tmp_path / "mnist.npz") in message
    assert "keras.datasets.mnist.load_data()" in message and data.DATA_DIR_VARIABLE in message


def test_offline_download_failure_explains_both_ways(monkeypatch):
    monkeypatch.delenv(data.DATA_DIR_VARIABLE, raising=False)

    def no_network():
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: [Errno -3]")

    monkeypatch.setitem(data.DATASETS, "mnist", type("Offline", (), {"load_data": staticmethod(no_network)}))
    with pytest.raises(data.DataNotFoundError, match="Could not download mnist") as error:
        data.load_raw("mnist")
    assert data.DATA_DIR_VARIABLE in str(error.value) and "~/.keras/datasets" in str(error.value)


def test_keras_datasets_is_the_default_loader():
    assert data.DATASETS == {"mnist": keras.datasets.mnist, "cifar10": keras.datasets.cifar10}


def test_dataset_drops_the_last_partial_batch_and_reshuffles(mnist_small):
    images = mnist_small[0][:1000]
    dataset = data.make_dataset(images, batch_size=128, seed=1)
    batches = list(dataset)
    assert len(batches) == 1000 // 128
    assert all(b.shape == (128, 28, 28, 1) for b in batches)
    second_epoch = next(iter(dataset))
    assert not np.array_equal(batches[0].numpy(), second_epoch.numpy())


def test_dataset_needs_one_full_batch():
    with pytest.raises(ValueError, match="at least one full batch"):
        data.make_dataset(np.zeros((10, 28, 28, 1), "float32"), batch_size=64)


def test_data_dir_variable_is_used(monkeypatch, tmp_path):
    x = np.full((3, 28, 28), 255, "uint8")
    y = np.array([1, 2, 3], "uint8")
    np.savez(tmp_path / "mnist.npz", x_train=x, y_train=y, x_test=x, y_test=y)
    monkeypatch.setenv(data.DATA_DIR_VARIABLE, os.fspath(tmp_path))
    images, labels = data.load_images("mnist")
    assert images.shape == (3, 28, 28, 1) and np.all(images == 1.0) and list(labels) == [1, 2, 3]


def write_png(path, pixels):
    import tensorflow as tf

    tf.io.write_file(str(path), tf.io.encode_png(pixels))


@pytest.mark.parametrize("size", [32, 64, 128])
def test_folder_images_are_cropped_resized_rgb_in_model_range(horse_folder, size):
    images = data.load_folder(str(horse_folder), size, limit=20)
    assert images.shape == (20, size, size, 3)
    assert_in_model_range(images)
    assert images.std() > 0.1  # real pictures, not a constant


def test_folder_converts_gray_and_rgba_and_crops_to_the_center(tmp_path):
    gray = np.zeros((40, 80, 1), "uint8")
    gray[:, 20:60] = 255  # a white center square between black side bands
    write_png(tmp_path / "gray.png", gray)
    rgba = np.zeros((16, 16, 4), "uint8")
    rgba[..., 0], rgba[..., 3] = 255, 100  # red, half transparent
    write_png(tmp_path / "sub" / "rgba.png", rgba)
    images = data.load_folder(str(tmp_path), 32)
    assert images.shape == (2, 32, 32, 3)
    assert np.allclose(images[0], 1.0)  # the side bands were cropped away; gray copied to three channels
    assert np.allclose(images[1][..., 0], 1.0) and np.allclose(images[1][..., 1:], -1.0)  # alpha dropped


def test_folder_skips_broken_and_other_files_with_one_warning(tmp_path):
    for index in range(3):
        write_png(tmp_path / f"ok{index}.png", np.full((8, 8, 3), 50 * index, "uint8"))
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.warns(UserWarning, match=r"Skipped 2 of 5 files") as warned:
        images = data.load_folder(str(tmp_path), 32)
    assert len(warned) == 1
    assert "broken.jpg (cannot be decoded)" in str(warned[0].message)
    assert "notes.txt (not an image file)" in str(warned[0].message)
    assert images.shape == (3, 32, 32, 3)


@pytest.mark.slow
def test_the_skip_warning_shows_no_local_path_and_shows_once(tmp_path):
    # Notebook outputs are committed: a warning with the caller's file and line would leak a local path.
    import subprocess
    import sys

    write_png(tmp_path / "ok.png", np.zeros((8, 8, 3), "uint8"))
    (tmp_path / "notes.txt").write_text("hello")
    script = f"from gan_tutorial import data\nfor _ in range(2): data.load_folder({str(tmp_path)!r}, 8)"
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stderr
    lines = [line for line in shown.splitlines() if "Skipped" in line]
    assert lines == [f"gan_tutorial/data.py:0: SkippedFilesWarning: Skipped 1 of 2 files in {tmp_path}: "
                     "notes.txt (not an image file)."], shown


def test_empty_folder_fails_clearly(tmp_path):
    (tmp_path / "readme.md").write_text("no pictures here")
    with pytest.raises(data.DataNotFoundError, match="No readable images"):
        data.load_folder(str(tmp_path))
    with pytest.raises(data.DataNotFoundError, match="is not a folder"):
        data.load_folder(str(tmp_path / "missing"))


def test_folder_smaller_than_one_batch_fails_clearly(tmp_path):
    for index in range(5):
        write_png(tmp_path / f"{index}.png", np.zeros((8, 8, 3), "uint8"))
    images = data.training_images(f"folder:{tmp_path}", image_size=32)
    with pytest.raises(ValueError, match="5 images < batch size 64.*lower the batch size"):
        data.make_dataset(images, 64)


def test_folder_dataset_names():
    assert data.check_dataset("folder:/pictures") == "folder:/pictures"
    assert data.image_shape_of("folder:/pictures", 128) == (128, 128, 3)
    assert data.image_shape_of("cifar10") == (32, 32, 3)
    with pytest.raises(ValueError, match="folder:PATH"):
        data.check_dataset("folder:")
    with pytest.raises(ValueError, match="only for folder:PATH"):
        data.image_shape_of("mnist", 64)


def test_flip_mirrors_some_images_and_keeps_the_others():
    images = np.linspace(-1, 1, 8 * 4 * 4 * 3, dtype="float32").reshape(8, 4, 4, 3)
    batch = next(iter(data.make_dataset(images, 8, seed=0, shuffle=False, flip=True))).numpy()
    mirrored = [np.array_equal(b, i[:, ::-1]) for b, i in zip(batch, images)]
    kept = [np.array_equal(b, i) for b, i in zip(batch, images)]
    assert all(m or k for m, k in zip(mirrored, kept)) and any(mirrored) and any(kept)


def test_class_folder_writes_real_pictures(horse_folder):
    files = sorted(os.listdir(horse_folder))
    assert len(files) == 300 and files[0] == "horse_00000.png"


def test_class_folder_refuses_an_unknown_class(tmp_path):
    with pytest.raises(ValueError, match="no class 'unicorn'.*horse"):
        data.write_class_folder("cifar10", "unicorn", str(tmp_path))


def test_fit_size_pads_with_black_and_crops_back(mnist_small):
    digits = mnist_small[0][:4]
    padded = data.fit_size(digits, 32)
    assert padded.shape == (4, 32, 32, 1) and np.all(padded[:, :2] == -1) and np.all(padded[:, :, -2:] == -1)
    np.testing.assert_array_equal(data.fit_size(padded, 28), digits)
    assert data.training_images("mnist", limit=3, image_size=32).shape == (3, 32, 32, 1)
