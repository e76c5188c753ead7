"""Training a GAN end to end: configuration, checkpoints that resume, and the training run.

A run directory holds everything a run makes::

    config.json            the TrainConfig (a second run with the same folder resumes)
    checkpoints/           full state after every epoch and on Ctrl-C (the newest two; gan_tutorial.checkpoints)
    train.lock             the process id (and boot) of the run training here, while it trains (gan_tutorial.faults)
    fixed_noise.npy        the noise behind every sample grid
    samples/epoch_NNNN.png one grid per epoch (epoch_0000 is before training)
    progress.gif           the grids as an animation
    log.csv                per step: d_loss, g_loss, D(x), D(G(z)), seconds
    losses.png, discriminator.png   the log as curves
    fid.csv, fid.png       FID every few epochs, if asked for (callbacks.FIDMonitor, train --fid-every)
    tensorboard/           TensorBoard logs, if asked for (callbacks.TensorBoardLog, train --tensorboard)
    generator.keras        the final generator (the EMA one if the run keeps an average), for keras.models.load_model

Every architecture trains through the same ``train``; what differs between them (their networks, data,
sample grid and exported files) their plug-in answers (``runs.Architecture``, ``architectures.REGISTRY``):
a CycleGAN's grids translate fixed test images instead of drawing fixed noise, and it saves its two
translators, generator_a2b.keras and generator_b2a.keras, instead of one generator. ``TrainConfig``
and ``load_config`` are ``gan_tutorial.config``'s.
"""

import dataclasses
import glob
import os

import numpy as np
import tensorflow as tf

from gan_tutorial import benchmark, callbacks, checkpoints, distribute, plots, reference
from gan_tutorial.architectures import architecture_of
from gan_tutorial.config import (ARCHITECTURE_FIELDS, DEFAULT_MAX_SECONDS, TrainConfig,  # noqa: F401 (re-exported)
                                 default_max_seconds, default_upsampling, load_config, write_config)
from gan_tutorial.faults import RunError, RunLock
from gan_tutorial.gan import GAN, STABILIZERS_OFF  # noqa: F401 (re-exported)
from gan_tutorial.runtime import describe_device, set_seed, smoke_run

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


@dataclasses.dataclass
class RunRecord:
    """How far a finished run trained, read from its folder: what a notebook shows of a run it loads (a reference
    run, ``reference.run_for``) as of one it has just trained (``TrainResult`` has the same three figures)."""
    run_dir: str
    step: int
    epoch: int
    seconds: float


def run_record(run_dir):
    """The ``RunRecord`` of ``run_dir``: the step, epoch and training seconds of the last row of its log.csv, the
    figures ``train`` returned when the run ended."""
    path = os.path.join(run_dir, "log.csv")
    log = plots.read_log(path) if os.path.exists(path) else {}
    if not log:
        raise ValueError(f"{run_dir} has no training log (log.csv): train it first, or give the folder of a run.")
    return RunRecord(run_dir, int(log["step"][-1]), int(log["epoch"][-1]), float(log["seconds"][-1]))


def train_or_load(config, run_dir, use_reference=False, **train_args):
    """A notebook's choice: train ``config`` in ``run_dir`` (``train``, with ``train_args``), or, with
    ``use_reference``, load the reference run that the package ships for these settings (``reference.run_for``)
    in seconds. Where none ships, one line says so and the run trains. Returns the ``RunRecord`` of the run to read
    from then on; its ``run_dir`` is the reference's folder or ``run_dir``."""
    if use_reference:
        try:
            return run_record(reference.run_for(config))
        except ValueError as error:
            print(f"No reference run to load: {error} Training here.")
    train(config, run_dir, **train_args)
    return run_record(run_dir)


def restore_generator(run_dir=None, pretrained=None):
    """The sampling generator of the latest checkpoint in ``run_dir`` (noise (N, latent_dim) -> images in [-1, 1];
    for a conditional run [noise, labels (N,)] -> images), or of the reference run the package ships as
    ``pretrained`` (``reference.names()``; no training needed).

    For a run with ``ema`` that is the averaged generator.
    """
    if (run_dir is None) == (pretrained is None):
        raise ValueError("give a run folder or the name of a reference run (pretrained=...), one of them.")
    run_dir = reference.run_dir(pretrained) if pretrained else run_dir
    config = load_config(run_dir)
    return architecture_of(config).restore(run_dir, config)


def draw_samples(run_dir, n, seed=0):
    """``n`` images in [-1, 1] from a run's sampling generator, and the labels they were drawn for.

    A conditional run draws every class in turn; an unconditional one returns None for the labels.
    """
    config = load_config(run_dir)
    images, labels, _ = architecture_of(config).sample(run_dir, config, n, seed)
    return images, labels


def _finished(config, state):
    if config.epochs is not None and int(state.epoch) >= config.epochs:
        return True
    return config.max_seconds is not None and float(state.seconds) >= config.max_seconds


def write_outputs(run_dir, architecture):
    """Make progress.gif, the architecture's ``run_figures`` (losses.png, discriminator.png) and fid.png from what the
    run wrote so far."""
    frames = sorted(glob.glob(os.path.join(run_dir, "samples", "epoch_*.png")))
    if frames:
        plots.save_gif(frames, os.path.join(run_dir, "progress.gif"))
    log = plots.read_log(os.path.join(run_dir, "log.csv"))
    if log:
        for name, figure in architecture.run_figures(log).items():
            plots.save_figure(figure, os.path.join(run_dir, name))
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
    if reference.is_reference(run_dir):
        raise ValueError(f"{run_dir} is a reference run that the package ships, for loading, not training: give "
                         "train a folder of your own.")
    strategy = distribute.make_strategy(config.strategy)  # first: multiworker must start before TensorFlow works
    chief_dir, run_dir = run_dir, distribute.output_dir(run_dir, strategy)
    verbose = verbose and run_dir == chief_dir
    os.makedirs(run_dir, exist_ok=True)
    with RunLock(run_dir):
        return _train(config, run_dir, chief_dir, strategy, images, data_dir, verbose, extra_callbacks)


def _train(config, run_dir, chief_dir, strategy, images, data_dir, verbose, extra_callbacks):
    """The one training path of every architecture; what differs between them, ``architecture`` answers."""
    architecture = architecture_of(config)
    config, images, labels = architecture.training_data(config, images, data_dir)
    write_config(config, run_dir)
    set_seed(config.seed)
    mode = config.compile_mode
    if mode == "auto":  # XLA is measured on one device; under a strategy (and for a CycleGAN), use graph mode
        # A smoke run (GAN_TUTORIAL_SMOKE) trains a few steps: measuring XLA would take longer than the run itself.
        measure = config.strategy == "default" and architecture.measures_xla and not smoke_run()
        mode = benchmark.fastest_mode(config, images, labels) if measure else "graph"
    gan = distribute.build_distributed_gan(config, strategy, mode)
    state = TrainingState(gan, os.path.join(run_dir, "checkpoints"), os.path.join(chief_dir, "checkpoints"))
    resumed = state.restore()
    if resumed:  # the checkpoint holds the learning rates it was trained with: this run's apply
        gan.d_optimizer.learning_rate = config.d_learning_rate
        gan.g_optimizer.learning_rate = config.g_learning_rate
    if verbose:
        where = f"resuming at epoch {int(state.epoch)}, step {state.step}" if resumed else "starting"
        print(f"{describe_device(strategy)}; {architecture.describe(config)}step compiled as {mode!r}; {where}.")
    if _finished(config, state):
        if verbose:
            print("This run is already complete; raise --epochs or --max-seconds to train further.")
        distribute.remove_worker_dir(run_dir, chief_dir)
        return TrainResult(gan, chief_dir, state.step, int(state.epoch), float(state.seconds), False)

    dataset, steps_per_epoch = architecture.dataset(config, images, labels)
    dataset = distribute.shard_by_data(dataset)
    clock = callbacks.TimeBudget(config.max_seconds, float(state.seconds))
    step_log = callbacks.StepLog(os.path.join(run_dir, "log.csv"), state.step, clock,
                                 getattr(gan, "log_columns", callbacks.LOG_COLUMNS))
    watchers = [
        clock,
        step_log,
        *architecture.epoch_callbacks(config, run_dir, data_dir, clock, steps_per_epoch),
        callbacks.EpochCheckpoint(state, clock),
    ]
    if verbose:  # before the extra callbacks: an epoch's progress line comes before what they print for it
        watchers.append(callbacks.ProgressBar(steps_per_epoch, config.images_per_step, clock, config.epochs,
                                              names=getattr(gan, "progress_names", None)))
    watchers.extend(extra_callbacks)
    if config.tensorboard:  # after extra_callbacks, so that it sees the FID a FIDMonitor adds to the epoch's logs
        noise = np.load(os.path.join(run_dir, "fixed_noise.npy"))
        watchers.append(callbacks.TensorBoardLog(os.path.join(run_dir, "tensorboard"), noise, state.step))
    interrupted = _fit(gan, config, state, dataset, steps_per_epoch, watchers, clock, step_log)
    write_outputs(run_dir, architecture)
    architecture.export(gan, run_dir)
    distribute.remove_worker_dir(run_dir, chief_dir)
    return TrainResult(gan, chief_dir, state.step, int(state.epoch), float(state.seconds), interrupted)


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
