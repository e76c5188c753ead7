"""Keras callbacks that watch a GAN train: budget, log, progress, samples, checkpoints, FID, TensorBoard."""

import csv
import math
import os
import sys
import time

import keras
import tensorflow as tf

from gan_tutorial.data import fit_size
from gan_tutorial.faults import PlainError
from gan_tutorial.features import extract
from gan_tutorial.gan import sampling_generator, seeded_noise
from gan_tutorial.metrics import feature_statistics, frechet_distance_from_statistics
from gan_tutorial.plots import grid, save_grid

LOG_COLUMNS = ["step", "epoch", "seconds", "d_loss", "g_loss", "d_real", "d_fake"]
FID_COLUMNS = ["step", "epoch", "fid", "n", "seconds"]


class TrainingDivergedError(PlainError, FloatingPointError):
    """A loss became NaN or infinite."""


class TimeBudget(keras.callbacks.Callback):
    """Count training seconds (across resumes) and stop once ``max_seconds`` is spent.

    Training seconds are the wall-clock time of ``fit``: the first step's tracing (or XLA compilation) and each
    epoch's sample grid and checkpoint count, as they do for the person waiting; the data loading and the network
    building before ``fit`` do not."""

    def __init__(self, max_seconds=None, seconds_before=0.0):
        super().__init__()
        self.max_seconds = max_seconds
        self.seconds_before = seconds_before
        self._started = None

    def on_train_begin(self, logs=None):
        self._started = time.perf_counter()

    def seconds(self):
        """Training seconds so far, this session and earlier ones."""
        return self.seconds_before + (time.perf_counter() - self._started if self._started else 0.0)

    def exhausted(self):
        return self.max_seconds is not None and self.seconds() >= self.max_seconds

    def on_train_batch_end(self, batch, logs=None):
        if self.exhausted():
            self.model.stop_training = True


class StepLog(keras.callbacks.Callback):
    """Append one CSV row per step (``columns``: LOG_COLUMNS by default); stop with a clear error on NaN or inf."""

    def __init__(self, path, first_step, clock, columns=LOG_COLUMNS):
        super().__init__()
        self.path, self.step, self.clock, self.columns = path, first_step, clock, columns
        self.epoch = 0

    def on_train_begin(self, logs=None):
        # Rows after the restored checkpoint belong to work that was lost: drop them.
        rows = []
        if os.path.exists(self.path):
            with open(self.path, newline="") as f:
                rows = [r for r in csv.DictReader(f) if int(r["step"]) <= self.step]
        self._file = open(self.path, "w", newline="", buffering=1)  # line-buffered: Ctrl-C loses no row
        self._writer = csv.DictWriter(self._file, self.columns)
        self._writer.writeheader()
        self._writer.writerows(rows)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch + 1

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        values = {key: float(logs[key]) for key in self.columns[3:]}
        for key, value in values.items():
            if not math.isfinite(value):
                raise TrainingDivergedError(
                    f"{key} became {value} at step {self.step}: training diverged. Lower the learning "
                    "rates or add label smoothing."
                )
        self._writer.writerow({"step": self.step, "epoch": self.epoch, "seconds": round(self.clock.seconds(), 3),
                               **{k: round(v, 6) for k, v in values.items()}})

    def on_train_end(self, logs=None):
        self.close()

    def close(self):
        if getattr(self, "_file", None) and not self._file.closed:
            self._file.close()


class ProgressBar(keras.callbacks.Callback):
    """Progress of a run: a live bar per epoch in a terminal; elsewhere (notebooks, logs) one line per epoch.

    The line holds the epoch-average losses, D(x), D(G(z)) and the images per second. Outside a terminal a line is
    written at most every ``every_seconds`` of training (and always for the first and the last epoch), so that a
    notebook's stored output stays a short table rather than hundreds of redraws.
    """

    NAMES = {"d_loss": "d_loss", "g_loss": "g_loss", "d_real": "D(x)", "d_fake": "D(G(z))"}

    def __init__(self, steps_per_epoch, batch_size, clock, epochs=None, every_seconds=60.0, live=None, names=None):
        super().__init__()
        self.names = names or self.NAMES  # log key -> name on the bar and the lines
        self.steps_per_epoch, self.batch_size, self.clock, self.epochs = steps_per_epoch, batch_size, clock, epochs
        self.live = sys.stdout.isatty() if live is None else live
        self.every_seconds = every_seconds
        self._printed_at = None  # training seconds at the last line written

    def describe_epoch(self, epoch):
        if self.epochs:
            return f"Epoch {epoch + 1}/{self.epochs}"
        return f"Epoch {epoch + 1} ({self.clock.seconds():.0f} of {self.clock.max_seconds:.0f} s)"

    def on_epoch_begin(self, epoch, logs=None):
        if self.live:
            print(self.describe_epoch(epoch), flush=True)
            self.bar = keras.utils.Progbar(self.steps_per_epoch, verbose=1)
        self._sums = dict.fromkeys(self.names, 0.0)
        self._seen, self._started = 0, time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self._seen += 1
        for key in self.names:
            self._sums[key] += float(logs[key])
        if self.live:
            self.bar.update(self._seen, [(name, float(logs[key])) for key, name in self.names.items()], finalize=False)

    def _last_epoch(self, epoch):
        return self.clock.exhausted() or getattr(self.model, "stop_training", False) or (self.epochs and epoch + 1 >= self.epochs)

    def on_epoch_end(self, epoch, logs=None):
        speed = self._seen * self.batch_size / (time.perf_counter() - self._started)
        if self.live:
            self.bar.update(self._seen, finalize=True)
            print(f"  {speed:,.0f} images/s; {self.clock.seconds():.0f} s of training so far", flush=True)
            return
        now = self.clock.seconds()
        due = self._printed_at is None or now - self._printed_at >= self.every_seconds
        if not (due or self._last_epoch(epoch)) or not self._seen:
            return
        averages = ", ".join(f"{name} {self._sums[key] / self._seen:.2f}" for key, name in self.names.items())
        print(f"{self.describe_epoch(epoch)}: {averages}; {speed:,.0f} images/s", flush=True)
        self._printed_at = now


class SampleGrid(keras.callbacks.Callback):
    """Save a grid of images from the same fixed noise after every epoch (and one before training)."""

    def __init__(self, fixed_noise, folder):
        super().__init__()
        self.fixed_noise, self.folder = fixed_noise, folder

    def save(self, epoch):
        images = sampling_generator(self.model)(self.model.grid_inputs(self.fixed_noise), training=False).numpy()
        save_grid(images, os.path.join(self.folder, f"epoch_{epoch:04d}.png"))

    def on_train_begin(self, logs=None):
        os.makedirs(self.folder, exist_ok=True)
        if not os.path.exists(os.path.join(self.folder, "epoch_0000.png")):
            self.save(0)

    def on_epoch_end(self, epoch, logs=None):
        self.save(epoch + 1)


class EpochCheckpoint(keras.callbacks.Callback):
    """Save the full training state (``TrainingState``) after every epoch."""

    def __init__(self, state, clock):
        super().__init__()
        self.state, self.clock = state, clock

    def on_epoch_end(self, epoch, logs=None):
        self.state.save(epoch + 1, self.clock.seconds())


class FIDMonitor(keras.callbacks.Callback):
    """Every ``every`` epochs, the FID of ``n`` generated images against real ones; one CSV row each (FID_COLUMNS).

    ``feature_model`` maps images to features (``gan_tutorial.features``); ``real_images``
    (M, H, W, C) in [-1, 1] are the reference, their features computed once. The samples come
    from the same seeded noise every time. ``seconds`` is the time one FID took; it counts in
    the training time budget, so keep ``n`` to a few thousand.

    On the domain classifier's features (``features.domain_model``) the figure is a *domain FID*,
    comparable between runs of this tutorial only: it is printed as "domain FID" and passed on to
    the next callbacks (TensorBoardLog) as ``logs["domain_fid"]``; on other features as "FID" and ``logs["fid"]``.
    """

    def __init__(self, feature_model, real_images, path, every=1, n=2000, seed=0):
        super().__init__()
        self.feature_model, self.path, self.every, self.n, self.seed = feature_model, path, every, n, seed
        domain = feature_model.name == "domain_features"
        self.label, self.log_key = ("domain FID", "domain_fid") if domain else ("FID", "fid")
        self.real_statistics = feature_statistics(extract(feature_model, real_images))
        self.size = real_images.shape[1]  # a style generator's 32 x 32 digits are cropped to MNIST's 28 x 28

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        started = time.perf_counter()
        noise = seeded_noise(self.n, self.model.latent_dim, self.seed)
        images = fit_size(sampling_generator(self.model).predict(self.model.sample_inputs(noise), batch_size=500,
                                                                 verbose=0), self.size)
        fake_statistics = feature_statistics(extract(self.feature_model, images))
        fid = frechet_distance_from_statistics(*fake_statistics, *self.real_statistics)
        new_file = not os.path.exists(self.path)
        with open(self.path, "a", newline="") as f:
            writer = csv.DictWriter(f, FID_COLUMNS)
            if new_file:
                writer.writeheader()
            writer.writerow({"step": int(self.model.g_optimizer.iterations.numpy()), "epoch": epoch + 1, "fid": round(fid, 4),
                             "n": self.n, "seconds": round(time.perf_counter() - started, 2)})
        print(f"Epoch {epoch + 1}: {self.label} of {self.n} samples {fid:.2f}", flush=True)
        if logs is not None:
            logs[self.log_key] = fid  # for the callbacks after this one, e.g. TensorBoardLog


def write_summary(tag, value, step, plugin, description=""):
    """One TensorBoard summary in the default writer: ``plugin`` is 'scalars' (a number) or 'images' (a uint8
    picture (H, W, C)).

    Written as TensorBoard's own ``tf.summary.scalar`` and ``tf.summary.image`` write them, but with
    TensorFlow's ``tf.summary.write`` alone: those two need the ``tensorboard`` package, which
    TensorFlow no longer installs; only viewing the logs does.
    """
    if plugin == "images":
        height, width = value.shape[:2]
        value = tf.stack([str(width), str(height), tf.io.encode_png(value)])
    else:
        value = tf.constant(value, "float32")
    metadata = tf.compat.v1.SummaryMetadata(summary_description=description,
                                            plugin_data=tf.compat.v1.SummaryMetadata.PluginData(plugin_name=plugin))
    tf.summary.write(tag, value, step=step, metadata=metadata)


class TensorBoardLog(keras.callbacks.Callback):
    """TensorBoard logs in ``folder``: per step d_loss, g_loss, D(x) and D(G(z)); per epoch the sample grid
    of ``fixed_noise`` as an image, and the FID when a ``FIDMonitor`` before this callback measured one.

    Steps count from ``first_step`` (the step the run resumes at). Open with ``tensorboard --logdir FOLDER``.
    """

    NAMES = {"d_loss": "loss/discriminator", "g_loss": "loss/generator", "d_real": "D(x)", "d_fake": "D(G(z))"}
    # A WGAN-GP critic logs its mean scores instead of D(x) and D(G(z)): unbounded numbers, named so.
    CRITIC_NAMES = {"d_loss": "loss/discriminator", "g_loss": "loss/generator",
                    "critic_real": "critic score (not a probability)/real",
                    "critic_fake": "critic score (not a probability)/fake"}

    def __init__(self, folder, fixed_noise, first_step=0):
        super().__init__()
        self.folder, self.fixed_noise, self.step = folder, fixed_noise, first_step

    def on_train_begin(self, logs=None):
        self.writer = tf.summary.create_file_writer(self.folder, flush_millis=1000)  # Ctrl-C loses at most 1 s
        if self.step == 0:
            self.write_grid(0)

    def write_grid(self, epoch):
        images = sampling_generator(self.model)(self.fixed_noise, training=False).numpy()
        with self.writer.as_default():
            write_summary("samples", grid(images), self.step, "images", "samples of the fixed noise after each epoch")

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        with self.writer.as_default():
            for key, name in (self.CRITIC_NAMES if "critic_real" in logs else self.NAMES).items():
                write_summary(name, float(logs[key]), self.step, "scalars")

    def on_epoch_end(self, epoch, logs=None):
        self.write_grid(epoch + 1)
        for key, tag in (("fid", "FID"), ("domain_fid", "domain FID")):  # as a FIDMonitor before this one named it
            if logs and key in logs:
                with self.writer.as_default():
                    write_summary(tag, logs[key], self.step, "scalars")
        self.writer.flush()

    def on_train_end(self, logs=None):
        self.writer.close()
