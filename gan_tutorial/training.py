"""Training a GAN end to end: configuration, checkpoints that resume, and the training run.

A run directory holds everything a run makes::

    config.json            the TrainConfig (a second run with the same folder resumes)
    checkpoints/           full state after every epoch and on Ctrl-C (the newest two; gan_tutorial.checkpoints)
    train.lock             the process id of the run training here, while it trains (gan_tutorial.faults)
    fixed_noise.npy        the noise behind every sample grid
    samples/epoch_NNNN.png one grid per epoch (epoch_0000 is before training)
    progress.gif           the grids as an animation
    log.csv                per step: d_loss, g_loss, D(x), D(G(z)), seconds
    losses.png, discriminator.png   the log as curves
    fid.csv, fid.png       FID every few epochs, if asked for (callbacks.FIDMonitor, train --fid-every)
    tensorboard/           TensorBoard logs, if asked for (callbacks.TensorBoardLog, train --tensorboard)
    generator.keras        the final generator (the EMA one if the run keeps an average), for keras.models.load_model

Every architecture (``config.model``: dcgan, stylegan, cyclegan) trains through the same ``train``:
a CycleGAN's grids translate fixed test images instead of drawing fixed noise, and it saves its two
translators, generator_a2b.keras and generator_b2a.keras, instead of one generator.
"""

import dataclasses
import glob
import json
import os

import numpy as np
import tensorflow as tf

from gan_tutorial import benchmark, callbacks, checkpoints, cyclegan, data, distribute, plots
from gan_tutorial.faults import RunError, RunLock
from gan_tutorial.gan import (COMPILE_MODES, GAN, MODELS, STABILIZERS_OFF, apply_wgan_gp_recipe, generator_of,
                              sampling_generator, seeded_noise)
from gan_tutorial.models import DROPOUT, LATENT_DIM, WIDTH
from gan_tutorial.stylegan import MAPPING_LAYERS, STYLE_MIXING, style_image_size
from gan_tutorial.distribute import STRATEGIES
from gan_tutorial.runtime import describe_device, set_seed

DEFAULT_MAX_SECONDS = {"mnist": 300, "cifar10": 900}  # measured budgets; folders get the color one
ARCHITECTURE_FIELDS = ("dataset", "latent_dim", "width", "image_shape", "upsampling", "spectral_norm", "minibatch_std",
                       "minibatch_discrimination", "ema", "conditional", "conditioning", "class_batchnorm", "n_classes",
                       "model", "mapping_layers", "dataset_b")


def default_max_seconds(dataset):
    """The training budget when neither epochs nor seconds are given: 5 minutes for MNIST, 15 for color."""
    return DEFAULT_MAX_SECONDS.get(dataset, DEFAULT_MAX_SECONDS["cifar10"])


def default_upsampling(image_shape):
    """The generator style when none is given: "resize" for color images, "transpose" for gray ones.

    Measured on CIFAR-10 (15 minutes on a 2-core CPU, notebook 6): resize-then-convolve reached a domain FID of 59.9,
    transposed convolutions 93.6, with visibly fewer checkerboard artifacts. MNIST's defaults were measured with
    transposed convolutions (notebook 5).
    """
    return "resize" if image_shape[-1] == 3 else "transpose"


@dataclasses.dataclass
class TrainConfig:
    """Everything that defines a training run. ``epochs`` and ``max_seconds`` count the whole run."""

    dataset: str = "mnist"
    image_shape: tuple = (28, 28, 1)  # model="stylegan" rounds it up to 4 * 2**k (MNIST: 32, padded; notebook 12)
    model: str = "dcgan"  # or "stylegan" (gan_tutorial.stylegan, notebook 12)
    mapping_layers: int = MAPPING_LAYERS  # stylegan: Dense layers of the mapping network z -> w
    style_mixing: float = STYLE_MIXING  # stylegan: share of training images whose styles mix two w
    epochs: int | None = None
    max_seconds: float | None = None
    batch_size: int = 64
    latent_dim: int = LATENT_DIM
    width: int = WIDTH
    upsampling: str | None = None  # None: "resize" for color images, "transpose" for gray (default_upsampling)
    d_learning_rate: float = 2e-4
    g_learning_rate: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.999  # Adam's; loss="wgan-gp" takes Gulrajani et al.'s 0.9 (gan.WGAN_GP_RECIPE)
    dropout: float = DROPOUT
    label_smoothing: float = 0.0
    # Stabilizers (notebook 09, gan_tutorial.stabilization). On by default: the combination that measured best
    # (MNIST, 8 epochs from the same seed: 71.3% of samples read with confidence > 0.9 and domain FID 19.9, against
    # 59.5% and 69.4 with none): minibatch discrimination, lazy R1 and an EMA of the generator.
    loss: str = "nonsaturating"
    gp_weight: float = 10.0
    n_critic: int = 1
    r1_weight: float = 1.0
    r1_every: int = 4
    spectral_norm: bool = False
    minibatch_std: bool = False
    minibatch_discrimination: int = 16
    feature_matching: float = 0.0
    instance_noise: float = 0.0
    instance_noise_steps: int = 5000
    diffaugment: str = ""
    ema: float = 0.999
    flip: bool = False
    seed: int = 0
    limit: int | None = None
    compile_mode: str = "auto"
    mixed_precision: bool = False
    n_samples: int = 64
    strategy: str = "default"
    dataset_b: str | None = None  # cyclegan: the second domain
    tensorboard: bool = False  # also write TensorBoard logs to RUN_DIR/tensorboard (callbacks.TensorBoardLog)
    # Class-conditional (notebook 10, gan_tutorial.conditional): the label enters both networks, the discriminator's
    # in the "concat" or the "projection" style; class_batchnorm: the label also sets the generator's BatchNorm scales
    # and shifts (conditional.ClassBatchNormalization). n_classes: None takes it from the dataset.
    conditional: bool = False
    conditioning: str = "concat"
    class_batchnorm: bool = False
    n_classes: int | None = None

    def __post_init__(self):
        self.image_shape = tuple(self.image_shape)
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, got {self.model!r}.")
        if self.model == "stylegan":
            size = style_image_size(self.image_shape[0])
            self.image_shape = (size, size, self.image_shape[-1])
        self.upsampling = self.upsampling or default_upsampling(self.image_shape)
        if self.loss == "wgan-gp":
            apply_wgan_gp_recipe(self)
        if self.epochs is None and self.max_seconds is None:
            self.max_seconds = default_max_seconds(self.dataset)
        if self.compile_mode not in ("auto", *COMPILE_MODES):
            raise ValueError(f"compile_mode must be 'auto' or one of {COMPILE_MODES}.")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, got {self.strategy!r}.")
        if self.conditioning not in ("concat", "projection"):
            raise ValueError(f"conditioning must be 'concat' or 'projection', got {self.conditioning!r}.")
        if self.conditional and self.n_classes is None and self.dataset in data.CLASS_NAMES:
            self.n_classes = len(data.CLASS_NAMES[self.dataset])
        if self.strategy == "multiworker" and self.max_seconds is not None:
            raise ValueError("multiworker training needs --epochs and no time budget: each worker's clock "
                             "would stop it at a different step, and the others would wait forever.")
        if self.class_batchnorm and not self.conditional:
            raise ValueError("class-conditional BatchNorm (--class-batchnorm) needs a conditional GAN (--conditional).")
        if self.conditional and self.model != "dcgan":
            raise ValueError(f"conditional training is for the dcgan model (notebook 10), not {self.model!r}.")
        if self.tensorboard and self.model == "cyclegan":
            raise ValueError("--tensorboard does not cover a CycleGAN yet: its losses are in log.csv and its "
                             "translations in samples/.")
        if self.model == "cyclegan" and (self.dataset_b is None or self.strategy != "default"):
            raise ValueError("a CycleGAN needs a second domain (dataset_b, --dataset-b) and trains on one device.")
        if self.model == "cyclegan" and self.compile_mode == "xla":  # cyclegan.ImagePool's updates vary in size
            raise ValueError("a CycleGAN's step does not compile with XLA (its image pool stores a varying number "
                             "of pictures); use --compile graph (the default for it).")

    @classmethod
    def for_dataset(cls, dataset, image_size=None, **overrides):
        """A config with the image shape of ``dataset`` (``image_size`` sets it for ``folder:PATH``)."""
        return cls(dataset=dataset, image_shape=data.image_shape_of(dataset, image_size), **overrides)


class TrainingState:
    """Networks, optimizers, noise seed, completed epochs and training seconds, in one checkpoint."""

    def __init__(self, gan, folder, restore_folder=None):
        self.epoch = tf.Variable(0, dtype=tf.int64)
        self.seconds = tf.Variable(0.0, dtype=tf.float64)
        if hasattr(gan, "checkpoint_objects"):  # another architecture names its own (e.g. cyclegan.CycleGAN)
            checkpoint = tf.train.Checkpoint(**gan.checkpoint_objects(), epoch=self.epoch, seconds=self.seconds)
        else:
            checkpoint = tf.train.Checkpoint(
                generator=gan.generator, discriminator=gan.discriminator,
                d_optimizer=gan.d_optimizer, g_optimizer=gan.g_optimizer,
                noise_seed=gan.seed_generator.state, epoch=self.epoch, seconds=self.seconds,
                **({"ema_generator": gan.ema_generator} if getattr(gan, "ema_generator", None) is not None else {}),
            )
        self.checkpoint, self.folder, self.gan = checkpoint, folder, gan
        self.restore_folder = restore_folder or folder  # the chief's, for the other workers of a cluster
        self.saved = None  # (epoch, step) of the newest good checkpoint

    def restore(self):
        """Load the newest checkpoint that loads (a damaged one falls back); return True if there was one."""
        if checkpoints.restore(self.checkpoint, self.restore_folder) is None:
            return False
        self.saved = (int(self.epoch), self.step)
        return True

    def save(self, epoch, seconds):
        """Checkpoint the state as of ``epoch``; on a full disk, a RunError (the checkpoint before is intact)."""
        if self.saved and self.saved[1] == self.step:
            return  # no step since: rewriting the same checkpoint in place could only damage it
        self.epoch.assign(epoch)
        self.seconds.assign(seconds)
        try:
            checkpoints.save(self.checkpoint, self.folder, self.step)
        except (tf.errors.ResourceExhaustedError, OSError) as error:
            if not checkpoints.no_space(error):
                raise
            raise RunError(f"no space left while saving the checkpoint of epoch {epoch} in {self.folder}; "
                           f"{self.describe_saved()}.") from error
        self.saved = (epoch, self.step)

    def describe_saved(self):
        """Which checkpoint is the newest good one, in words."""
        if self.saved is None:
            return "no checkpoint was saved before it"
        return f"the checkpoint of epoch {self.saved[0]} (step {self.saved[1]}) is intact"

    @property
    def step(self):
        return int(self.gan.g_optimizer.iterations.numpy())  # .numpy(): also a MirroredVariable


@dataclasses.dataclass
class TrainResult:
    gan: GAN
    run_dir: str
    step: int
    epoch: int
    seconds: float
    interrupted: bool


def _write_config(config, run_dir):
    """Save config.json, or check that an existing run was made with the same architecture."""
    path = os.path.join(run_dir, "config.json")
    if os.path.exists(path):
        saved = dataclasses.asdict(load_config(run_dir))
        for field in ARCHITECTURE_FIELDS:
            if tuple(np.atleast_1d(saved[field])) != tuple(np.atleast_1d(getattr(config, field))):
                raise ValueError(f"{run_dir} holds a run with {field}={saved[field]!r}, not "
                                 f"{getattr(config, field)!r}; choose another --out folder to start afresh.")
    with open(path, "w") as f:
        json.dump(dataclasses.asdict(config), f, indent=2)


def load_config(run_dir):
    """The TrainConfig saved in a run directory."""
    path = os.path.join(run_dir, "config.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{run_dir} is not a training run (it has no config.json): give a folder "
                                "that 'gan-tutorial train --out' wrote.")
    with open(path) as f:
        saved = json.load(f)
    if "ema" not in saved:  # saved before the stabilizers existed: they were all off
        saved = {**STABILIZERS_OFF, **saved}
    return TrainConfig(**saved)


def restore_generator(run_dir):
    """The sampling generator of the latest checkpoint in ``run_dir`` (noise (N, latent_dim) -> images in [-1, 1];
    for a conditional run [noise, labels (N,)] -> images).

    For a run with ``ema`` that is the averaged generator.
    """
    config = load_config(run_dir)
    if config.conditional:
        from gan_tutorial.conditional import conditional_generator_of

        generator = conditional_generator_of(config)
    else:
        generator = generator_of(config)
    checkpoint = tf.train.Checkpoint(**{"ema_generator" if config.ema else "generator": generator})
    if checkpoints.restore(checkpoint, os.path.join(run_dir, "checkpoints"), partial=True) is None:
        raise FileNotFoundError(f"No checkpoint in {run_dir}/checkpoints: train first.")
    return generator


def _finished(config, state):
    if config.epochs is not None and int(state.epoch) >= config.epochs:
        return True
    return config.max_seconds is not None and float(state.seconds) >= config.max_seconds


def write_outputs(run_dir):
    """Make progress.gif, losses.png, discriminator.png (and fid.png) from what the run wrote so far."""
    frames = sorted(glob.glob(os.path.join(run_dir, "samples", "epoch_*.png")))
    if frames:
        plots.save_gif(frames, os.path.join(run_dir, "progress.gif"))
    log = plots.read_log(os.path.join(run_dir, "log.csv"))
    if log:
        plot = plots.plot_cycle_losses if "cycle_loss" in log else plots.plot_losses
        plots.save_figure(plot(log), os.path.join(run_dir, "losses.png"))
        plots.save_figure(plots.plot_discriminator_outputs(log), os.path.join(run_dir, "discriminator.png"))
    fid_path = os.path.join(run_dir, "fid.csv")
    if log and os.path.exists(fid_path):
        plots.save_figure(plots.plot_fid(plots.read_log(fid_path), log), os.path.join(run_dir, "fid.png"))


def train(config, run_dir, images=None, data_dir=None, verbose=True, extra_callbacks=()):
    """Train (or resume) a GAN in ``run_dir``; return a TrainResult.

    ``images``: float32 (N, H, W, C) in [-1, 1]; by default the training images of
    ``config.dataset`` (first ``config.limit`` images). For a conditional ``config``,
    ``(images, labels)`` with int labels (N,). Ctrl-C saves a checkpoint and
    returns with ``interrupted=True``; calling ``train`` again resumes. One run at a time
    trains in a folder (``faults.RunLock``); diverged losses and a full disk raise an
    error that says which checkpoint is intact.

    ``config.strategy`` other than 'default': one replica per device (``gan_tutorial.distribute``);
    ``config.batch_size`` is the global batch. Only the chief worker writes ``run_dir``; the
    others write to a temporary folder, removed at the end, and resume from the chief's checkpoints.
    """
    strategy = distribute.make_strategy(config.strategy)  # first: multiworker must start before TensorFlow works
    chief_dir, run_dir = run_dir, distribute.output_dir(run_dir, strategy)
    verbose = verbose and run_dir == chief_dir
    os.makedirs(run_dir, exist_ok=True)
    with RunLock(run_dir):
        return _train(config, run_dir, chief_dir, strategy, images, data_dir, verbose, extra_callbacks)


def _train(config, run_dir, chief_dir, strategy, images, data_dir, verbose, extra_callbacks):
    """The one training path of every architecture; what differs between them is in the helpers below it."""
    config, images, labels = _training_images(config, images, data_dir)
    _write_config(config, run_dir)
    set_seed(config.seed)
    mode = config.compile_mode
    if mode == "auto":  # XLA is measured on one device; under a strategy (and for a CycleGAN), use graph mode
        mode = (benchmark.fastest_mode(config, images, labels)
                if config.strategy == "default" and config.model != "cyclegan" else "graph")
    gan = _build(config, strategy, mode)
    state = TrainingState(gan, os.path.join(run_dir, "checkpoints"), os.path.join(chief_dir, "checkpoints"))
    resumed = state.restore()
    if resumed:  # the checkpoint holds the learning rates it was trained with: this run's apply
        gan.d_optimizer.learning_rate = config.d_learning_rate
        gan.g_optimizer.learning_rate = config.g_learning_rate
    if verbose:
        where = f"resuming at epoch {int(state.epoch)}, step {state.step}" if resumed else "starting"
        what = f"CycleGAN {config.dataset} <-> {config.dataset_b}, " if config.model == "cyclegan" else ""
        print(f"{describe_device(strategy)}; {what}step compiled as {mode!r}; {where}.")
    if _finished(config, state):
        if verbose:
            print("This run is already complete; raise --epochs or --max-seconds to train further.")
        distribute.remove_worker_dir(run_dir, chief_dir)
        return TrainResult(gan, chief_dir, state.step, int(state.epoch), float(state.seconds), False)

    dataset, steps_per_epoch = _training_dataset(config, images, labels)
    clock = callbacks.TimeBudget(config.max_seconds, float(state.seconds))
    step_log = callbacks.StepLog(os.path.join(run_dir, "log.csv"), state.step, clock,
                                 getattr(gan, "log_columns", callbacks.LOG_COLUMNS))
    watchers = [
        clock,
        step_log,
        *_epoch_callbacks(config, run_dir, data_dir, clock, steps_per_epoch),
        callbacks.EpochCheckpoint(state, clock),
    ]
    if verbose:  # before the extra callbacks: an epoch's progress line comes before what they print for it
        images_per_step = config.batch_size * config.n_critic  # n_critic real batches a step (StabilizedGAN)
        watchers.append(callbacks.ProgressBar(steps_per_epoch, images_per_step, clock, config.epochs,
                                              names=getattr(gan, "progress_names", None)))
    watchers.extend(extra_callbacks)
    if config.tensorboard:  # after extra_callbacks, so that it sees the FID a FIDMonitor adds to the epoch's logs
        noise = np.load(os.path.join(run_dir, "fixed_noise.npy"))
        watchers.append(callbacks.TensorBoardLog(os.path.join(run_dir, "tensorboard"), noise, state.step))
    interrupted = _fit(gan, config, state, dataset, steps_per_epoch, watchers, clock, step_log)
    write_outputs(run_dir)
    _export(config, gan, run_dir)
    distribute.remove_worker_dir(run_dir, chief_dir)
    return TrainResult(gan, chief_dir, state.step, int(state.epoch), float(state.seconds), interrupted)


def _training_images(config, images, data_dir):
    """(config, images, labels): the arrays a run trains on, checked against the config.

    ``images``: float32 (N, H, W, C) in [-1, 1], by default the training images of ``config.dataset``;
    ``(images, labels)`` for a conditional config (a folder's config gets its number of classes
    here); for a CycleGAN, the pair (images of A, images of B), by default the training images of
    ``config.dataset`` and ``config.dataset_b``.
    """
    if config.model == "cyclegan":
        names = (config.dataset, config.dataset_b)
        if images is None:
            images = tuple(cyclegan.domain_images(name, "train", config.image_shape[0], data_dir, config.limit)
                           for name in names)
        domains, labels = zip(names, images), None
    else:
        if images is None:
            images = data.training_images(config.dataset, data_dir, config.limit, config.image_shape[0],
                                          labels=config.conditional)
        images, labels = images if config.conditional else (images, None)
        if config.conditional and config.n_classes is None:  # a folder: one class per subfolder
            config = dataclasses.replace(config, n_classes=int(np.max(labels)) + 1)
        domains = [(config.dataset, images)]
    for name, domain in domains:
        if tuple(domain.shape[1:]) != config.image_shape:
            raise ValueError(f"{name} images have shape {domain.shape[1:]}, the config says {config.image_shape}.")
        if len(domain) < config.batch_size:
            raise ValueError(f"Need at least one full batch: {name} has {len(domain)} images, fewer than the batch "
                             f"size {config.batch_size}. Add images or lower the batch size.")
    return config, images, labels


def _build(config, strategy, mode):
    """The compiled GAN of ``config``: a CycleGAN's four networks, or a generator and discriminator per replica."""
    if config.model == "cyclegan":  # TrainConfig allows only the default strategy for it
        return cyclegan.build_cyclegan(config, mode)
    return distribute.build_distributed_gan(config, strategy, mode)


def _training_dataset(config, images, labels):
    """(endless dataset of batches, steps per epoch); made after ``set_seed``, so that its shuffling is the run's."""
    if config.model == "cyclegan":
        dataset = cyclegan.pair_dataset(*images, config.batch_size, seed=config.seed, flip=config.flip)
        return dataset, min(map(len, images)) // config.batch_size
    # One iterator for the whole run: without repeat(), fit() makes a new iterator every
    # epoch, and with 60000 images in the pipeline that stalled the first step for up to 20 s.
    # A step with n_critic D updates takes n_critic real batches, a fresh one for each (StabilizedGAN.train_step).
    batch_size = config.batch_size * config.n_critic
    if config.conditional:
        dataset = data.make_labeled_dataset(images, labels, batch_size, seed=config.seed, flip=config.flip)
    else:
        dataset = data.make_dataset(images, batch_size, seed=config.seed, flip=config.flip)
    return distribute.shard_by_data(dataset.repeat()), len(images) // batch_size


def _epoch_callbacks(config, run_dir, data_dir, clock, steps_per_epoch):
    """What each architecture does every epoch besides logging and checkpoints: its picture (and schedule)."""
    if config.model == "cyclegan":  # fixed test images translated both ways; the learning rates' linear decay
        grid = [cyclegan.domain_images(name, "test", config.image_shape[0], data_dir, cyclegan.GRID_IMAGES)
                for name in (config.dataset, config.dataset_b)]
        return [cyclegan.LinearDecay(config.d_learning_rate, config.g_learning_rate, clock, steps_per_epoch,
                                     config.epochs),
                cyclegan.TranslationGrid(*grid, os.path.join(run_dir, "samples"))]
    noise_path = os.path.join(run_dir, "fixed_noise.npy")
    if not os.path.exists(noise_path):
        np.save(noise_path, seeded_noise(config.n_samples, config.latent_dim, config.seed))
    return [callbacks.SampleGrid(np.load(noise_path), os.path.join(run_dir, "samples"))]


def _export(config, gan, run_dir):
    """Save the finished networks for ``keras.models.load_model``: the generator, or a CycleGAN's two translators."""
    if config.model == "cyclegan":
        gan.save_translators(run_dir)
    else:
        sampling_generator(gan).save(os.path.join(run_dir, "generator.keras"))


def _fit(gan, config, state, dataset, steps_per_epoch, watchers, clock, step_log):
    """Run ``gan.fit`` from the state's epoch; save on Ctrl-C (return True), name the good checkpoint on divergence."""
    interrupted = False
    try:
        gan.fit(dataset, epochs=config.epochs or 10**6, steps_per_epoch=steps_per_epoch, initial_epoch=int(state.epoch),
                verbose=0, callbacks=watchers, shuffle=False)  # the dataset shuffles itself
    except KeyboardInterrupt:
        interrupted = True
        state.save(int(state.epoch), clock.seconds())
        print(f"\nInterrupted: saved step {state.step}. Run the same command again to resume.")
    except callbacks.TrainingDivergedError as error:
        resume = ": training again resumes from it" if state.saved else ""
        message = f"{error} In {state.folder}, {state.describe_saved()}{resume}."
        raise callbacks.TrainingDivergedError(message) from error
    finally:
        step_log.close()
    return interrupted
