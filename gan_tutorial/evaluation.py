"""Scoring generated images: the report 'gan-tutorial evaluate' prints (FID, KID, Inception Score, the classifier's
confident share and class shares; a CycleGAN's cycle error and translated shares), kept in a run folder as
``evaluation.json`` (notebooks 08, 11 and 12).
"""

import json
import os
import time

import numpy as np
import tensorflow as tf

from gan_tutorial import data, reference, runtime, training
from gan_tutorial.architectures import architecture_of
from gan_tutorial.features import INCEPTION_NOTE
from gan_tutorial.plots import read_log
from gan_tutorial.runs import EVALUATION_FILE

# A run on a folder of pictures is scored by the classifier of the labeled dataset with its number of channels (its
# features for FID and KID, its classes for the shares), on its samples and the folder's pictures resized to its size.
FOLDER_CLASSIFIERS = {3: "cifar10", 1: "mnist"}


def which_generator(run_dir):
    """Which generator a run's samples come from, in words: 'EMA (decay 0.999)' or 'raw'."""
    ema = training.load_config(run_dir).ema
    return f"EMA (decay {ema})" if ema else "raw"


def load_samples(source, n, seed):
    """Images in [-1, 1] from a run directory (generated) or a .npz of uint8 images (key 'images'), and the
    labels they were drawn for (a conditional run: every class in turn; a .npz: its 'labels', if any) or None."""
    if os.path.isdir(source):
        return training.draw_samples(source, n, seed)
    with np.load(source) as f:
        if "images" not in f:
            raise ValueError(f"{source} has no array 'images' (keys: {list(f.keys())}).")
        return data.to_model_range(f["images"]), (f["labels"] if "labels" in f else None)


def save_evaluation(run_dir, report):
    """Write ``report`` to ``run_dir``/evaluation.json, the JSON that 'evaluate' prints, whole or not at all."""
    def write(path):
        with open(path, "w") as f:
            f.write(json.dumps(report, indent=2) + "\n")

    runtime.replace_atomically(os.path.join(run_dir, EVALUATION_FILE), write)


def evaluation_report(source, dataset="mnist", features="domain", n=10000, threshold=0.9, seed=0, data_dir=None):
    """The report 'gan-tutorial evaluate' prints (the defaults are the command's): FID, KID, Inception Score, confident
    share and class shares of ``n`` images drawn with ``seed`` from a run directory's sampling generator, or of the
    images of a .npz written by 'sample', against as many real training images of ``dataset``.

    ``features``: "domain" (the dataset's classifier) or "inception" (InceptionV3, downloaded on first use).
    A run on a ``folder:PATH`` is compared with the folder's pictures, through ``FOLDER_CLASSIFIERS`` (``dataset``
    does not apply). A run of an architecture that draws no samples reports its own figures
    (``Architecture.evaluate``: a CycleGAN's ``cyclegan.translation_report`` on up to ``n`` pictures of each domain;
    ``dataset`` and ``features`` do not apply).
    """
    from gan_tutorial import features as feature_models
    from gan_tutorial.classifier import load_classifier
    from gan_tutorial.metrics import label_agreement, quality_report

    started = time.perf_counter()
    config = training.load_config(source) if os.path.isdir(source) else None
    if config:  # an architecture that draws no samples from noise (a CycleGAN) reports its own figures
        report = architecture_of(config).evaluate(source, config, n, data_dir)
        if report is not None:
            report["settings"] = {"source": source, "n_per_domain_at_most": n,
                                  "seconds": round(time.perf_counter() - started, 1)}
            return _with_expected(source, config, report)
    folder = config.dataset if config and data.is_folder(config.dataset) else None
    images, labels = load_samples(source, n, seed)
    if folder:  # no classifier of its own: the labeled dataset's of its channels reads both sets, resized to its size
        dataset = FOLDER_CLASSIFIERS[images.shape[-1]]
        size = data.IMAGE_SHAPES[dataset][0]
        real = feature_models.real_images(folder, len(images), "train", data_dir, seed, image_size=images.shape[1])
        images, real = (tf.image.resize(x, (size, size), method="area", antialias=True).numpy() for x in (images, real))
    expected = data.IMAGE_SHAPES[dataset]
    if images.shape[1] != expected[0] and images.shape[3:] == expected[2:]:  # a style generator's 32 x 32 digits
        images = data.fit_size(images, expected[0])
    if images.shape[1:] != expected:
        raise ValueError(f"Images have shape {images.shape[1:]}, but {dataset} images are {expected}.")
    classifier = load_classifier(dataset, data_dir)
    inception = features == "inception"
    model = feature_models.inception_model(expected) if inception else feature_models.domain_model(classifier)
    if not folder:
        real = feature_models.real_images(dataset, len(images), "train", data_dir, seed)
    # InceptionV3 at 299x299 takes minutes on a CPU: smaller batches, and a progress bar.
    options = {"batch_size": 50, "verbose": 1} if inception else {}
    probabilities = classifier.predict(images, batch_size=500, verbose=0)
    report = quality_report(feature_models.extract(model, images, **options),
                            feature_models.extract(model, real, **options),
                            probabilities, threshold, data.CLASS_NAMES[dataset], seed=seed)
    if labels is not None:  # a conditional GAN's samples: does the classifier read the class they were drawn for?
        report["label_agreement"] = label_agreement(probabilities, labels, threshold, data.CLASS_NAMES[dataset])
    report["settings"] = {
        "source": source, "dataset": folder or dataset, "seed": seed, "n_generated": len(images),
        "n_real": len(real), "real_split": "train",
        "features": f"{features} ({model.output_shape[-1]} per image)"
                    + (f": {INCEPTION_NOTE}" if inception else "")
                    + (f"; both sets resized to {expected[0]} x {expected[1]}, the {dataset} classifier's size: a "
                       "folder has no classifier of its own" if folder else ""),
        "inception_score_classes": f"the {dataset} classifier's {classifier.output_shape[-1]} classes",
        "generator": which_generator(source) if os.path.isdir(source) else None,
        "seconds": round(time.perf_counter() - started, 1),
    }
    return _with_expected(source, config, report) if config else report


def _with_expected(run_dir, config, report):
    """``report`` with, for a run of a reference's settings (``config``), where it falls against the reference's
    seeds."""
    matched = reference.expected_for(config)
    places = matched and reference.verdict(report, matched[1])
    if places:
        seeds = matched[1]["seeds"].values()
        log_path = os.path.join(run_dir, "log.csv")  # a reference run keeps none
        log = read_log(log_path) if os.path.exists(log_path) else {}
        report["expected"] = {
            "reference": matched[0], "seeds": len(seeds), **places, "steps": int(log["step"][-1]) if log else None,
            "reference_steps": ([min(seed["steps"] for seed in seeds), max(seed["steps"] for seed in seeds)]
                                if all("steps" in seed for seed in seeds) else None)}
    return report


def describe_expected(report):
    """The report's comparison with its reference run in one line (``reference.describe_verdict``), or None."""
    expected = report.get("expected")
    if not expected:
        return None
    places = {metric: expected[metric] for metric in reference.BAND_METRICS if metric in expected}
    return reference.describe_verdict(expected["reference"], places, expected["seeds"], expected["steps"],
                                      expected["reference_steps"])
