"""Command line: ``gan-tutorial train | sample | translate | bench | evaluate | bench-quality | exercises``
(also ``python -m gan_tutorial``).

Errors are one line: exit code 2 for bad input, 1 for a fault during the run (a diverged
training, a full disk, a run folder in use). GAN_TUTORIAL_DEBUG=1 shows the traceback instead.
"""

import argparse
import contextlib
import json
import math
import os
import sys

import numpy as np

from gan_tutorial import architectures, assignments, benchmark, data, distribute, faults, reference, training
from gan_tutorial.callbacks import TrainingDivergedError
from gan_tutorial.config import SECTION_OF
from gan_tutorial.evaluation import (EVALUATION_FILE, describe_expected, evaluation_report, save_evaluation,
                                     which_generator)
from gan_tutorial.features import INCEPTION_NOTE
from gan_tutorial.gan import COMPILE_MODES, STABILIZER_FIELDS
from gan_tutorial.layers import DIFFAUGMENT_POLICIES
from gan_tutorial.losses import ADVERSARIAL_LOSSES
from gan_tutorial.models import UPSAMPLING_STYLES

FID_SAMPLES = 2000  # generated and real images per FID during training


def _number(convert, minimum=0, above=True, below=math.inf):
    """An argparse type: ``convert(value)``, finite, above (or at least) ``minimum`` and below ``below``."""
    def parse(value):
        number = convert(value)  # a ValueError here reads "invalid int value: 'x'"
        if not (math.isfinite(number) and (number > minimum if above else number >= minimum) and number < below):
            kind = "a whole number" if convert is int else "a finite number"
            low = f"above {minimum}" if above else f"of {minimum} or more"
            high = f" and below {below}" if below < math.inf else ""
            raise argparse.ArgumentTypeError(f"must be {kind} {low}{high}, not {value}")
        return number

    parse.__name__ = convert.__name__
    return parse


POSITIVE_INT = _number(int)
POSITIVE = _number(float)
SEED = _number(int, above=False)
COUNT = SEED  # a whole number, 0 or more
WEIGHT = _number(float, above=False)
FRACTION = _number(float, above=False, below=1)
USAGE_ERRORS = (data.DataNotFoundError, FileNotFoundError, ValueError)  # exit code 2
RUN_ERRORS = (faults.RunError, TrainingDivergedError, OSError)  # exit code 1


def _dataset_name(value):
    try:
        return data.check_dataset(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _labeled_dataset_name(value):
    if data.is_folder(_dataset_name(value)) or data.split_class(value):
        raise argparse.ArgumentTypeError(f"evaluation needs a labeled dataset, one of {sorted(data.DATASETS)}")
    return value


def _config_arguments(parser):
    parser.add_argument("--dataset", type=_dataset_name, default="mnist",
                        help="mnist, cifar10, or folder:PATH (your own images, any layout under PATH)")
    parser.add_argument("--image-size", type=POSITIVE_INT,
                        help="folder datasets: square size to crop and resize to "
                             f"(default {data.DEFAULT_FOLDER_IMAGE_SIZE})")
    parser.add_argument("--batch-size", type=POSITIVE_INT, default=training.TrainConfig.batch_size)
    parser.add_argument("--width", type=POSITIVE_INT, default=training.TrainConfig.width,
                        help="filters of the widest generator block are width * 2**(blocks-1)")
    parser.add_argument("--upsampling", choices=UPSAMPLING_STYLES, default=training.TrainConfig.upsampling,
                        help="generator style: Conv2DTranspose, or UpSampling2D + Conv2D (default: resize for color "
                             "images, transpose for MNIST)")
    parser.add_argument("--latent-dim", type=POSITIVE_INT, default=training.TrainConfig.latent_dim)
    parser.add_argument("--model", choices=architectures.MODELS, default=training.TrainConfig.model,
                        help="dcgan: noise -> images of --dataset (notebooks 2-10); stylegan: a compact StyleGAN2 "
                             "(notebook 12; MNIST padded to 32 x 32); cyclegan (train only): translate --dataset <-> "
                             "--dataset-b (notebook 11; default cifar10:horse <-> cifar10:deer); wgan: the dcgan as a "
                             "WGAN-GP (notebook 9)")
    parser.add_argument("--seed", type=SEED, default=0)
    parser.add_argument("--limit", type=POSITIVE_INT, help="use only the first N training images")
    parser.add_argument("--data-dir",
                        help=f"folder with <dataset>.npz (default: ${data.DATA_DIR_VARIABLE}, else download)")


def _diffaugment_policy(value):
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = sorted(set(names) - set(DIFFAUGMENT_POLICIES))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown {unknown}; use a comma-separated subset of "
                                         f"{','.join(DIFFAUGMENT_POLICIES)}")
    return ",".join(names)


def _stabilizer_arguments(parser):
    """The fixes of notebook 09, each named after its technique; all off by default."""
    group = parser.add_argument_group("stabilizers (notebook 09)")
    defaults = training.TrainConfig
    group.add_argument("--loss", choices=sorted(ADVERSARIAL_LOSSES), default=defaults.loss,
                       help="adversarial loss: non-saturating (Goodfellow 2014), hinge (Miyato 2018), "
                            "Wasserstein with gradient penalty (Gulrajani 2017; alone it takes their recipe for the "
                            "settings left at their defaults: 5 critic steps, learning rates 1e-4, "
                            "Adam betas (0, 0.9), no minibatch discrimination, no R1)")
    group.add_argument("--gp-weight", type=WEIGHT, default=defaults.gp_weight, help="wgan-gp: penalty weight")
    group.add_argument("--n-critic", type=POSITIVE_INT, default=defaults.n_critic,
                       help="discriminator updates per generator update, each on a fresh real batch")
    group.add_argument("--r1", dest="r1_weight", type=WEIGHT, default=defaults.r1_weight, metavar="GAMMA",
                       help="R1 gradient penalty on real images (Mescheder 2018), weight gamma; 0 is off")
    group.add_argument("--r1-every", type=POSITIVE_INT, default=defaults.r1_every, metavar="K",
                       help="lazy R1: every K steps, weighted K times (Karras 2020)")
    group.add_argument("--spectral-norm", action=argparse.BooleanOptionalAction, default=defaults.spectral_norm,
                       help="spectral normalization of every discriminator layer (Miyato 2018)")
    group.add_argument("--minibatch-std", action=argparse.BooleanOptionalAction, default=defaults.minibatch_std,
                       help="minibatch standard-deviation channel in the discriminator (Karras 2018)")
    group.add_argument("--minibatch-discrimination", type=COUNT, default=defaults.minibatch_discrimination,
                       metavar="KERNELS",
                       help="minibatch discrimination features (Salimans 2016); 0 is off")
    group.add_argument("--feature-matching", type=WEIGHT, default=defaults.feature_matching, metavar="WEIGHT",
                       help="feature matching (Salimans 2016): the generator's loss becomes this weight times "
                            "||mean D-features(real) - mean D-features(fake)||^2, instead of the adversarial loss; "
                            "0 is off")
    group.add_argument("--instance-noise", type=WEIGHT, default=defaults.instance_noise, metavar="STD",
                       help="Gaussian noise on the discriminator's inputs, annealed to 0 (Sonderby 2017)")
    group.add_argument("--instance-noise-steps", type=POSITIVE_INT, default=defaults.instance_noise_steps,
                       help="discriminator updates over which instance noise falls to 0")
    group.add_argument("--diffaugment", type=_diffaugment_policy, default=defaults.diffaugment, metavar="POLICY",
                       help="differentiable augmentation of real and fake images (Zhao 2020), "
                            "e.g. color,translation,cutout (for small folders)")
    group.add_argument("--ema", type=FRACTION, default=defaults.ema, metavar="DECAY",
                       help="exponential moving average of the generator (Yazici 2019), used for samples; "
                            "0 is off")


def build_parser():
    parser = argparse.ArgumentParser(prog="gan-tutorial", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a GAN (running it again on the same --out resumes)")
    _config_arguments(train)
    train.add_argument("--out", required=True, help="run directory")
    budget = train.add_mutually_exclusive_group()
    budget.add_argument("--epochs", type=POSITIVE_INT, help="train until this many epochs in total")
    budget.add_argument("--max-seconds", type=POSITIVE,
                        help="train until this much training time in total (default: "
                             f"{training.DEFAULT_MAX_SECONDS['mnist']} for MNIST, else "
                             f"{training.DEFAULT_MAX_SECONDS['cifar10']})")
    train.add_argument("--d-learning-rate", type=POSITIVE, default=training.TrainConfig.d_learning_rate)
    train.add_argument("--g-learning-rate", type=POSITIVE, default=training.TrainConfig.g_learning_rate)
    train.add_argument("--beta-1", type=FRACTION, default=training.TrainConfig.beta_1)
    train.add_argument("--beta-2", type=FRACTION, default=training.TrainConfig.beta_2)
    train.add_argument("--dropout", type=FRACTION, default=training.TrainConfig.dropout, help="discriminator dropout")
    train.add_argument("--label-smoothing", type=FRACTION, default=training.TrainConfig.label_smoothing)
    _stabilizer_arguments(train)
    train.add_argument("--flip", action="store_true", help="mirror training images at random (small color sets)")
    train.add_argument("--compile", dest="compile_mode", choices=("auto", *COMPILE_MODES), default="auto",
                       help="how the step runs; auto measures graph vs XLA once per machine")
    train.add_argument("--mixed-precision", action="store_true", help="float16 compute (for GPUs)")
    train.add_argument("--strategy", choices=distribute.STRATEGIES, default="default",
                       help="mirrored: one replica per GPU (or logical CPU device); multiworker: several machines, "
                            "each started with its own TF_CONFIG. --batch-size is the global batch")
    train.add_argument("--conditional", action="store_true",
                       help="class-conditional GAN (notebook 10): train on labels, then 'sample --label'; "
                            "a folder dataset needs a subfolder per class")
    train.add_argument("--conditioning", choices=("concat", "projection"), default=training.TrainConfig.conditioning,
                       help="how the discriminator reads the label: joined to the image (Mirza 2014) or projected "
                            "onto its features (Miyato 2018)")
    train.add_argument("--class-batchnorm", action="store_true",
                       help="conditional: the label also sets the scale and shift of every generator BatchNorm "
                            "(de Vries 2017, BigGAN)")
    train.add_argument("--embedding-dim", type=POSITIVE_INT, default=training.TrainConfig.embedding_dim,
                       help="conditional: numbers of the generator's label embedding, joined to the noise")
    train.add_argument("--classes", metavar="C,C,...",
                       help="mnist, cifar10: train on these classes only, label ids or names (e.g. 0,1,7 or cat,dog); "
                            "applied before --limit. The labels keep their ids and a conditional GAN keeps every "
                            "class of the dataset (ask it for the others with 'sample --label'); 'evaluate' and "
                            "--fid-every still compare with all classes")
    train.add_argument("--dataset-b", type=_dataset_name,
                       help="cyclegan: the second domain, a class such as cifar10:deer or folder:PATH")
    train.add_argument("--cycle-weight", type=WEIGHT, default=training.TrainConfig.cycle_weight, metavar="LAMBDA",
                       help="cyclegan: weight of the cycle-consistency loss, lambda of Zhu et al. 2017 (their 10)")
    train.add_argument("--identity-weight", type=WEIGHT, default=training.TrainConfig.identity_weight,
                       help="cyclegan: weight of the identity loss G(b) = b in units of --cycle-weight (the authors' "
                            "code: 0.5, so 0.5 * lambda = 5); 0 is off")
    train.add_argument("--demodulate", action=argparse.BooleanOptionalAction,
                       default=training.TrainConfig.demodulate,
                       help="stylegan: demodulate every convolution but the RGB outputs (Karras 2020); "
                            "--no-demodulate leaves them modulated only")
    train.set_defaults(dataset=None, width=None, batch_size=None)  # per model: see run_train
    train.add_argument("--fid-every", type=POSITIVE_INT, metavar="K",
                       help=f"every K epochs, the FID (domain features) of {FID_SAMPLES} samples, written to "
                            "fid.csv and fid.png (off by default; each takes a few seconds of the budget)")
    train.add_argument("--tensorboard", action="store_true",
                       help="also write TensorBoard logs to OUT/tensorboard: per-step losses, D(x) and D(G(z)), the "
                            "FID (with --fid-every) and the sample grid per epoch")

    sample = commands.add_parser("sample", help="write generated images (uint8) from a run's latest checkpoint")
    _run_or_reference(sample, "draw from")
    sample.add_argument("--n", type=POSITIVE_INT, default=64)
    sample.add_argument("--out", required=True, help="a .npz file; images are under the key 'images'")
    sample.add_argument("--seed", type=SEED, default=0)
    sample.add_argument("--label", help="conditional runs: the class to draw (a number), or 'all' for every class in "
                                         "turn (the default); the .npz holds them under 'labels'")
    sample.add_argument("--truncation", type=WEIGHT, default=1.0, metavar="PSI",
                        help="stylegan runs: the truncation trick, w pulled towards the mean w (1: off, 0: the mean "
                             "image; 0.7 trades variety for quality)")

    translate = commands.add_parser("translate", help="translate a picture or a folder with a trained CycleGAN run")
    _run_or_reference(translate, "translate with")
    translate.add_argument("input", nargs="?", help="a picture, or a folder of pictures (subfolders too)")
    translate.add_argument("--out", required=True, help="the translated picture (a folder for a folder), same size")
    translate.add_argument("--direction", choices=("a2b", "b2a"), default="a2b",
                           help="a2b: --dataset -> --dataset-b of the run; b2a: back")

    bench = commands.add_parser("bench", help="images/s of the training step: eager, tf.function, XLA")
    _config_arguments(bench)
    bench.add_argument("--steps", type=POSITIVE_INT, default=20)

    evaluate = commands.add_parser("evaluate", help="FID, KID, Inception Score and class histogram; for a CycleGAN "
                                                    "run, its cycle error and the share of translations read as the "
                                                    "target class on each domain's test pictures; print JSON "
                                                    f"(a run directory also keeps it in its {EVALUATION_FILE})")
    evaluate.add_argument("source", help="a run directory, or a .npz written by 'sample'")
    evaluate.add_argument("--dataset", type=_labeled_dataset_name, default="mnist",
                          help="the real images compared with (a run on a folder: its folder, scored by the "
                               "classifier of its number of channels; a CycleGAN run: its two domains)")
    evaluate.add_argument("--features", choices=("domain", "inception"), default="domain",
                          help="FID/KID features: the dataset's classifier (offline), or " + INCEPTION_NOTE)
    evaluate.add_argument("--n", type=POSITIVE_INT, default=10000,
                          help="images to generate from a run directory; as many real training images are compared "
                               "(a CycleGAN run: test pictures of each domain, at most)")
    evaluate.add_argument("--threshold", type=FRACTION, default=0.9)
    evaluate.add_argument("--seed", type=SEED, default=0)
    evaluate.add_argument("--data-dir")

    quality = commands.add_parser("bench-quality",
                                  help="train for a fixed budget per configuration, then score the generator that "
                                       "'sample' uses (the EMA one by default) as 'evaluate' does; one JSON line each")
    quality.add_argument("--dataset", type=_labeled_dataset_name, default="mnist")
    quality.add_argument("--set", dest="configurations", action="append", type=_train_settings, default=[],
                         metavar="FIELD=VALUE,...",
                         help="one configuration, TrainConfig fields: e.g. width=32,batch_size=64, or "
                              "ema=0,r1_weight=0,minibatch_discrimination=0 (no stabilizers); repeat for more "
                              "(default: one run of the default settings)")
    quality.add_argument("--max-seconds", type=POSITIVE, default=300, help="training time of each configuration")
    quality.add_argument("--n", type=POSITIVE_INT, default=10000, help="samples scored (and as many real images)")
    quality.add_argument("--out", default=os.path.join("runs", "quality"),
                         help="runs go to OUT/<configuration>; an existing one resumes, so delete it to measure afresh")
    quality.add_argument("--data-dir")

    exercises = commands.add_parser("exercises", help="build the student notebooks, or grade submitted ones")
    assignments.add_arguments(exercises)
    return parser


def _train_settings(value):
    """'width=32,batch_size=64' -> {'width': 32, 'batch_size': 64}, each value of its TrainConfig field's type.

    A part without '=' continues the previous value: diffaugment=color,translation."""
    pairs = []
    for part in filter(None, (part.strip() for part in value.split(","))):
        if "=" in part:
            pairs.append(part.split("=", 1))
        elif pairs:
            pairs[-1][1] += "," + part
        else:
            raise argparse.ArgumentTypeError(f"expected FIELD=VALUE pairs, not {part!r}")
    fields = set(SECTION_OF)  # every setting, by its flat name
    settings = {}
    for name, text in pairs:
        if name not in fields - {"dataset", "image_shape", "epochs", "max_seconds"}:
            raise argparse.ArgumentTypeError(f"{name!r} is not a TrainConfig field that a configuration sets")
        default = getattr(training.TrainConfig, name)
        try:
            if isinstance(default, bool):
                settings[name] = {"true": True, "false": False}[text.lower()]
            elif default is None:  # epochs, upsampling, limit, n_classes...: a whole number, else the text
                settings[name] = int(text) if text.isdigit() else text
            else:
                settings[name] = type(default)(text)
        except (KeyError, ValueError):
            raise argparse.ArgumentTypeError(f"{name}={text}: expected a value like {default!r}") from None
    return settings


def fid_monitor(dataset, run_dir, every, data_dir=None):
    """A FIDMonitor with the dataset's domain features, against FID_SAMPLES real training images."""
    if data.is_folder(dataset):
        raise ValueError(f"--fid-every needs a labeled dataset ({', '.join(sorted(data.DATASETS))}), "
                         "whose classifier provides the features.")
    from gan_tutorial import features
    from gan_tutorial.callbacks import FIDMonitor
    from gan_tutorial.classifier import load_classifier

    model = features.domain_model(load_classifier(dataset, data_dir))
    real = features.real_images(dataset, FID_SAMPLES, "train", data_dir)
    return FIDMonitor(model, real, os.path.join(run_dir, "fid.csv"), every, FID_SAMPLES)


def run_train(args):
    architecture = architectures.REGISTRY[args.model]
    architecture.command_line(args)
    args.dataset = args.dataset or "mnist"
    args.width = args.width or training.TrainConfig.width
    args.batch_size = args.batch_size or training.TrainConfig.batch_size
    config = training.TrainConfig.for_dataset(
        args.dataset, args.image_size, model=args.model, dataset_b=args.dataset_b,
        epochs=args.epochs, max_seconds=args.max_seconds, batch_size=args.batch_size,
        width=args.width, upsampling=args.upsampling, latent_dim=args.latent_dim, seed=args.seed, limit=args.limit,
        d_learning_rate=args.d_learning_rate, g_learning_rate=args.g_learning_rate, beta_1=args.beta_1,
        beta_2=args.beta_2,
        dropout=args.dropout, label_smoothing=args.label_smoothing, flip=args.flip, compile_mode=args.compile_mode,
        mixed_precision=args.mixed_precision, strategy=args.strategy, tensorboard=args.tensorboard,
        conditional=args.conditional, conditioning=args.conditioning, class_batchnorm=args.class_batchnorm,
        embedding_dim=args.embedding_dim, classes=args.classes, cycle_weight=args.cycle_weight,
        identity_weight=args.identity_weight, demodulate=args.demodulate,
        **{name: getattr(args, name) for name in STABILIZER_FIELDS})
    if args.fid_every and args.strategy == "multiworker":  # every worker would need its own fid.csv
        raise ValueError("--fid-every does not work with --strategy multiworker; evaluate the run afterwards.")
    if args.fid_every and not architecture.draws_from_noise:
        raise ValueError(f"--fid-every measures samples drawn from noise, which a {args.model} run does not draw.")
    monitors = [fid_monitor(args.dataset, args.out, args.fid_every, args.data_dir)] if args.fid_every else []
    result = training.train(config, args.out, data_dir=args.data_dir, extra_callbacks=monitors)
    if distribute.is_chief(distribute.make_strategy(config.strategy)):  # the others wrote a temporary folder
        which = (f"; samples and generator.keras from the {which_generator(args.out)} generator"
                 if architecture.draws_from_noise else "")
        print(f"Wrote {args.out}: samples/, progress.gif, losses.png, discriminator.png, log.csv, "
              f"{architecture.exports} ({result.step} steps, {result.epoch} epochs, {result.seconds:.0f} s of "
              f"training){which}.")
    return 130 if result.interrupted else 0


def _run_or_reference(parser, verb):
    """A run folder or ``--pretrained NAME``, one of them, as ``args.run_dir`` (``_chosen_run``)."""
    parser.add_argument("run_dir", nargs="?", help=f"the run folder to {verb} (left out with --pretrained)")
    parser.add_argument("--pretrained", metavar="NAME",
                        help=f"{verb} a reference run the package ships instead of a run of yours: "
                             f"{', '.join(reference.names()) or 'none yet'}")


def _chosen_run(args):
    """``args.run_dir`` after ``--pretrained``: the reference run's folder."""
    if (args.run_dir is None) == (args.pretrained is None):
        raise ValueError("give a run folder or --pretrained NAME, one of them.")
    return reference.run_dir(args.pretrained) if args.pretrained else args.run_dir


def run_sample(args):
    args.run_dir = _chosen_run(args)
    config = training.load_config(args.run_dir)
    images, labels, which = architectures.architecture_of(config).sample(args.run_dir, config, args.n, args.seed,
                                                                         args.label, args.truncation)
    if config.dataset in data.IMAGE_SHAPES:  # a style generator's 32 x 32 digits back to MNIST's 28 x 28
        images = data.fit_size(images, data.IMAGE_SHAPES[config.dataset][0])
    np.savez_compressed(args.out, images=data.to_uint8(images), **({} if labels is None else {"labels": labels}))
    print(f"Wrote {args.n} images {which + ' ' if which else ''}of shape {images.shape[1:]} (uint8) from the "
          f"{which_generator(args.run_dir)} generator to {args.out}")
    return 0


def run_translate(args):
    if args.pretrained and args.input is None:  # translate --pretrained NAME PICTURE: the one path is the picture
        args.run_dir, args.input = None, args.run_dir
    args.run_dir = _chosen_run(args)
    if args.input is None:
        raise ValueError("give the picture or the folder of pictures to translate.")
    written = architectures.translate(args.run_dir, args.input, args.out, args.direction)
    print(f"Wrote {args.out}" if len(written) == 1 and written[0] == args.out
          else f"Wrote {len(written)} translated pictures under {args.out}")
    return 0


def run_bench(args):
    config = training.TrainConfig.for_dataset(args.dataset, args.image_size, batch_size=args.batch_size,
                                              width=args.width, upsampling=args.upsampling,
                                              latent_dim=args.latent_dim, seed=args.seed, model=args.model)
    images = data.training_images(args.dataset, args.data_dir, 4 * args.batch_size, config.image_shape[0])
    print(json.dumps(benchmark.benchmark(config, images, steps=args.steps), indent=2))
    return 0


def run_evaluate(args):
    # Standard output carries only the JSON: progress and notices (InceptionV3's download) go to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        report = evaluation_report(args.source, args.dataset, args.features, args.n, args.threshold, args.seed,
                                   args.data_dir)
    print(json.dumps(report, indent=2))
    if describe_expected(report):
        print(describe_expected(report), file=sys.stderr)
    if os.path.isdir(args.source) and not reference.is_reference(args.source):  # a run keeps its latest report
        save_evaluation(args.source, report)
    return 0


def run_bench_quality(args):
    """The quality figures of notebooks/MEASUREMENTS.md: per configuration, steps and images/s of the budget, and the
    'evaluate' report (FID, KID, IS, confident share, class shares) of the sampling generator, as one JSON line."""
    for settings in args.configurations or [{}]:
        name = "_".join(f"{key}{value}" for key, value in settings.items()) or "default"
        run_dir = os.path.join(args.out, name)
        config = training.TrainConfig.for_dataset(args.dataset, max_seconds=args.max_seconds, **settings)
        with contextlib.redirect_stdout(sys.stderr):  # progress to stderr; stdout carries the JSON lines only
            result = training.train(config, run_dir, data_dir=args.data_dir)
            report = evaluation_report(run_dir, args.dataset, n=args.n, data_dir=args.data_dir)
        speed = result.step * config.images_per_step / max(result.seconds, 1e-9)  # real images a second
        print(json.dumps({"configuration": settings, "run": run_dir, "steps": result.step,
                          "training_seconds": round(result.seconds, 1), "images_per_second": round(speed, 1),
                          **report}), flush=True)
    return 0


def main(argv=None):
    args = build_parser().parse_args(argv)
    handlers = {"train": run_train, "sample": run_sample, "translate": run_translate, "bench": run_bench,
                "evaluate": run_evaluate, "bench-quality": run_bench_quality,
                "exercises": assignments.run}
    try:
        return handlers[args.command](args)
    except (*USAGE_ERRORS, *RUN_ERRORS) as error:
        if os.environ.get(faults.DEBUG_VARIABLE) == "1":
            raise
        print(f"gan-tutorial {args.command}: error: {error}", file=sys.stderr)
        return 2 if isinstance(error, USAGE_ERRORS) else 1
    except KeyboardInterrupt:
        print(f"gan-tutorial {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
