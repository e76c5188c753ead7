"""The domain classifiers: the shipped weights score as recorded, training on your own data is cached, shipping
writes what loading reads."""

import json

import numpy as np
import pytest

from gan_tutorial import classifier, data


@pytest.mark.parametrize("dataset", ["mnist", "cifar10"])
def test_the_shipped_classifier_scores_as_its_record_says(dataset):
    # Fails for weights that do not fit the network (load_weights refuses), for a shipped file other than the one the
    # record describes, or for a classifier that flips or otherwise alters test images at inference.
    record = classifier.shipped_record()[dataset]
    assert record["recipe_version"] == classifier.VERSION and record["epochs"] == classifier.RECIPES[dataset]["epochs"]
    model = classifier.load_classifier(dataset)
    images, labels = data.load_images(dataset, "test")
    accuracy = float((model.predict(images, batch_size=500, verbose=0).argmax(axis=1) == labels).mean())
    assert accuracy == pytest.approx(record["test_accuracy"], abs=1e-4)
    assert model.get_layer(classifier.FEATURE_LAYER).units == 128


@pytest.mark.slow
def test_training_on_your_own_data_prints_its_progress_then_is_cached(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GAN_TUTORIAL_CACHE_DIR", str(tmp_path))
    model = classifier.load_classifier("mnist", epochs=1, limit=2048)
    out = capsys.readouterr().out
    assert "Training the mnist classifier once" in out and "Trained the mnist classifier: test accuracy" in out
    accuracy = float(out.split("test accuracy ")[1].split()[0])
    assert accuracy > 0.5, out  # 2,048 digits, one epoch (32 steps): measured 0.71; untrained, about 0.1
    assert (tmp_path / "classifier_mnist_v2_1epochs_2048images.keras").exists()
    again = classifier.load_classifier("mnist", epochs=1, limit=2048)
    assert capsys.readouterr().out == "", "the second call loads the cached classifier"
    images = data.load_images("mnist", "test", limit=64)[0]
    np.testing.assert_allclose(again.predict(images, verbose=0), model.predict(images, verbose=0), atol=1e-6)


def test_ship_writes_the_weights_that_loading_reads_and_records_them(tmp_path, monkeypatch):
    monkeypatch.setattr(classifier, "SHIPPED", str(tmp_path))
    monkeypatch.setattr(classifier, "SHIPPED_RECORD", str(tmp_path / "classifiers.json"))
    model = classifier.build_classifier(data.IMAGE_SHAPES["mnist"], classifier.RECIPES["mnist"]["widths"])
    model.compile("adam", "sparse_categorical_crossentropy")  # a compiled model's optimizer state is not shipped
    model.fit(np.zeros((8, 28, 28, 1)), np.zeros(8), verbose=0)
    classifier.ship("mnist", model, 0.123456, 8, 1)
    images = data.load_images("mnist", "test", limit=16)[0]
    loaded = classifier.load_classifier("mnist")
    np.testing.assert_allclose(loaded.predict(images, verbose=0), model.predict(images, verbose=0), atol=1e-6)
    record = json.loads((tmp_path / "classifiers.json").read_text())
    assert record == {"mnist": {"test_accuracy": 0.1235, "training_images": 8, "epochs": 1,
                                "recipe_version": classifier.VERSION,
                                "trained_with": "python -m gan_tutorial.classifier mnist"}}
    weights = (tmp_path / "classifier_mnist.weights.h5").stat().st_size
    assert weights < 1.2 * 4 * model.count_params(), "the weights alone, not Adam's two moments as well"


def test_a_missing_shipped_file_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr(classifier, "SHIPPED", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"missing from this installation.*train=True"):
        classifier.load_classifier("cifar10")
