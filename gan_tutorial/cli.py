"""Command line: ``gan-tutorial train | sample | bench | evaluate | exercises`` (also ``python -m gan_tutorial``)."""

import argparse
import json
import os
import sys

import numpy as np

from gan_tutorial import assignments, benchmark, data, training
from gan_tutorial.gan import COMPILE_MODES, generate
from gan_tutorial.models import UPSAMPLING_STYLES


def _dataset_name(value):
    try:
        return data.check_dataset(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _labelled_dataset_name(value):
    if data.is_folder(_dataset_name(value)):
        raise argparse.ArgumentTypeError(f"evaluation needs a labelled dataset, one of {sorted(data.DATASETS)}")
    return value


def _config_arguments(parser):
    parser.add_argument("--dataset", type=_dataset_name, default="mnist",
                        help="mnist, cifar10, or folder:PATH (your own images, any layout under PATH)")
    parser.add_argument("--image-size", type=int,
                        help="folder datasets: square size to crop and resize to "
                             f"(default {data.DEFAULT_FOLDER_IMAGE_SIZE})")
    parser.add_argument("--batch-size", type=int, default=training.TrainConfig.batch_size)
    parser.add_argument("--width", type=int, default=training.TrainConfig.width,
                        help="filters of the widest generator block are width * 2**(blocks-1)")
    parser.add_argument("--upsampling", choices=UPSAMPLING_STYLES, default=training.TrainConfig.upsampling,
                        help="generator style: Conv2DTranspose, or UpSampling2D + Conv2D")
    parser.add_argument("--latent-dim", type=int, default=training.TrainConfig.latent_dim)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, help="use only the first N training images")
    parser.add_argument("--data-dir",
                        help=f"folder with <dataset>.npz (default: ${data.DATA_DIR_VARIABLE}, else download)")


def build_parser():
    parser = argparse.ArgumentParser(prog="gan-tutorial", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a GAN (running it again on the same --out resumes)")
    _config_arguments(train)
    train.add_argument("--out", required=True, help="run directory")
    budget = train.add_mutually_exclusive_group()
    budget.add_argument("--epochs", type=int, help="train until this many epochs in total")
    budget.add_argument("--max-seconds", type=float,
                        help="train until this much training time in total (default: "
                             f"{training.DEFAULT_MAX_SECONDS['mnist']} for MNIST, else "
                             f"{training.DEFAULT_MAX_SECONDS['cifar10']})")
    train.add_argument("--d-learning-rate", type=float, default=training.TrainConfig.d_learning_rate)
    train.add_argument("--g-learning-rate", type=float, default=training.TrainConfig.g_learning_rate)
    train.add_argument("--beta-1", type=float, default=training.TrainConfig.beta_1)
    train.add_argument("--dropout", type=float, default=training.TrainConfig.dropout, help="discriminator dropout")
    train.add_argument("--label-smoothing", type=float, default=training.TrainConfig.label_smoothing)
    train.add_argument("--flip", action="store_true", help="mirror training images at random (small colour sets)")
    train.add_argument("--compile", dest="compile_mode", choices=("auto", *COMPILE_MODES), default="auto",
                       help="how the step runs; auto measures graph vs XLA once per machine")
    train.add_argument("--mixed-precision", action="store_true", help="float16 compute (for GPUs)")

    sample = commands.add_parser("sample", help="write generated images (uint8) from a run's latest checkpoint")
    sample.add_argument("run_dir")
    sample.add_argument("--n", type=int, default=64)
    sample.add_argument("--out", required=True, help="a .npz file; images are under the key 'images'")
    sample.add_argument("--seed", type=int, default=0)

    bench = commands.add_parser("bench", help="images/s of the training step: eager, tf.function, XLA")
    _config_arguments(bench)
    bench.add_argument("--steps", type=int, default=20)

    evaluate = commands.add_parser("evaluate", help="classify generated images; print JSON")
    evaluate.add_argument("source", help="a run directory, or a .npz written by 'sample'")
    evaluate.add_argument("--dataset", type=_labelled_dataset_name, default="mnist")
    evaluate.add_argument("--n", type=int, default=10000, help="images to generate from a run directory")
    evaluate.add_argument("--threshold", type=float, default=0.9)
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--data-dir")

    exercises = commands.add_parser("exercises", help="build the student notebooks, or grade submitted ones")
    assignments.add_arguments(exercises)
    return parser


def run_train(args):
    config = training.TrainConfig.for_dataset(
        args.dataset, args.image_size, epochs=args.epochs, max_seconds=args.max_seconds, batch_size=args.batch_size,
        width=args.width, upsampling=args.upsampling, latent_dim=args.latent_dim, seed=args.seed, limit=args.limit,
        d_learning_rate=args.d_learning_rate, g_learning_rate=args.g_learning_rate, beta_1=args.beta_1,
        dropout=args.dropout, label_smoothing=args.label_smoothing, flip=args.flip, compile_mode=args.compile_mode,
        mixed_precision=args.mixed_precision)
    result = training.train(config, args.out, data_dir=args.data_dir)
    print(f"Wrote {args.out}: samples/, progress.gif, losses.png, discriminator.png, log.csv, generator.keras "
          f"({result.step} steps, {result.epoch} epochs, {result.seconds:.0f} s of training).")
    return 130 if result.interrupted else 0


def run_sample(args):
    images = generate(training.restore_generator(args.run_dir), args.n, seed=args.seed)
    np.savez_compressed(args.out, images=data.to_uint8(images))
    print(f"Wrote {args.n} images of shape {images.shape[1:]} (uint8) to {args.out}")
    return 0


def run_bench(args):
    config = training.TrainConfig.for_dataset(args.dataset, args.image_size, batch_size=args.batch_size,
                                              width=args.width, upsampling=args.upsampling,
                                              latent_dim=args.latent_dim, seed=args.seed)
    images = data.training_images(args.dataset, args.data_dir, 4 * args.batch_size, config.image_shape[0])
    print(json.dumps(benchmark.benchmark(config, images, steps=args.steps), indent=2))
    return 0


def load_samples(source, n, seed):
    """Images in [-1, 1] from a run directory (generated) or a .npz of uint8 images (key 'images')."""
    if os.path.isdir(source):
        return generate(training.restore_generator(source), n, seed=seed)
    with np.load(source) as f:
        if "images" not in f:
            raise ValueError(f"{source} has no array 'images' (keys: {list(f.keys())}).")
        return data.to_model_range(f["images"])


def run_evaluate(args):
    from gan_tutorial.classifier import load_classifier
    from gan_tutorial.metrics import classifier_report

    images = load_samples(args.source, args.n, args.seed)
    expected = data.IMAGE_SHAPES[args.dataset]
    if images.shape[1:] != expected:
        raise ValueError(f"Images have shape {images.shape[1:]}, but {args.dataset} images are {expected}.")
    report = classifier_report(images, load_classifier(args.dataset, args.data_dir), args.threshold,
                               data.CLASS_NAMES[args.dataset])
    report["settings"] = {"source": args.source, "dataset": args.dataset, "features": "domain classifier",
                          "seed": args.seed}
    print(json.dumps(report, indent=2))
    return 0


def main(argv=None):
    args = build_parser().parse_args(argv)
    handlers = {"train": run_train, "sample": run_sample, "bench": run_bench, "evaluate": run_evaluate,
                "exercises": assignments.run}
    try:
        return handlers[args.command](args)
    except (data.DataNotFoundError, FileNotFoundError, ValueError) as error:
        print(f"gan-tutorial {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
