"""Time to good digits: train MNIST DCGANs for a fixed budget and score them with the domain classifier.

    python tests/benchmark_mnist_quality.py --max-seconds 300 --set width=32 --set width=64,batch_size=64

Each ``--set`` is one configuration (TrainConfig fields, comma separated). For each,
prints one JSON line: the settings, images/s, steps, and the classifier's report on
10,000 samples (share labeled with confidence > 0.9, share of each digit). Runs go to
``runs/quality/<name>``; an existing run folder resumes, so delete it to measure afresh.
"""

import argparse
import json
import os

import gan_tutorial  # noqa: F401  (quiet TensorFlow import)
from gan_tutorial import data
from gan_tutorial.classifier import load_classifier
from gan_tutorial.gan import generate
from gan_tutorial.metrics import classifier_report
from gan_tutorial.plots import read_log
from gan_tutorial.training import TrainConfig, train


def parse_settings(text):
    settings = {}
    for item in filter(None, text.split(",")):
        key, value = item.split("=")
        settings[key] = type(getattr(TrainConfig, key, 0.0) or 0.0)(value) if key != "compile_mode" else value
    return settings


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--set", action="append", default=[""], help="e.g. width=32,batch_size=64")
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--out", default="runs/quality")
    args = parser.parse_args()
    classifier = load_classifier("mnist")
    for text in args.set[1:] or [""]:
        settings = parse_settings(text)
        name = "_".join(f"{k}{v}" for k, v in settings.items()) or "default"
        config = TrainConfig.for_dataset("mnist", max_seconds=args.max_seconds, **settings)
        result = train(config, os.path.join(args.out, name))
        log = read_log(os.path.join(args.out, name, "log.csv"))
        report = classifier_report(generate(result.gan.generator, args.n), classifier, 0.9, data.CLASS_NAMES["mnist"])
        print(json.dumps({"settings": settings, "seconds": round(result.seconds, 1), "steps": result.step,
                          "images_per_second": round(result.step * config.batch_size / log["seconds"][-1], 1),
                          **report}), flush=True)


if __name__ == "__main__":
    main()
