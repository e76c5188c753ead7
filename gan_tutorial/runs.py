"""What an architecture is to the trainer: one small interface (``Architecture``), and a run folder's saved settings.

``training.train`` trains every architecture the same way; what differs between them is what an
``Architecture`` answers:

- ``build(config)``: its networks in one uncompiled ``keras.Model`` with a ``train_step``, from its
  config sections (``compile`` adds the optimizers);
- ``training_data(config, images, data_dir)`` and ``dataset(config, images, labels)``: what it trains on;
- ``epoch_callbacks(config, run_dir, data_dir, clock, steps_per_epoch)``: its sample grid every epoch;
- ``export(gan, run_dir)``, ``sampling_networks(config)``, ``restore(run_dir, config)`` and
  ``sample(run_dir, config, n)``: what ``sample``, ``evaluate``, the FID monitor and a shipped reference run
  (``reference``) load from a run.

The class itself is the DCGAN's implementation (noise -> images; notebooks 2-9); another architecture
overrides what it does differently (``stylegan.StyleGAN`` only its generator). ``architectures.REGISTRY``
maps the ``--model`` names to them. This module belongs to the core: it knows no architecture.
"""

import json
import os

import numpy as np
import tensorflow as tf

from gan_tutorial import checkpoints, data, plots
from gan_tutorial.callbacks import SampleGrid
from gan_tutorial.gan import build_gan, compile_gan, generate, generator_of, sampling_generator, seeded_noise

EVALUATION_FILE = "evaluation.json"  # what 'gan-tutorial evaluate' prints, kept in the run directory it scored


def read_settings(run_dir):
    """The settings saved in a run folder's config.json as one flat dict, whether the file holds them in sections
    (``config.TrainConfig``'s) or flat (older runs); ``config.load_config`` makes a TrainConfig of them."""
    path = os.path.join(run_dir, "config.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{run_dir} is not a training run (it has no config.json): give a folder "
                                "that 'gan-tutorial train --out' wrote.")
    with open(path) as f:
        saved = json.load(f)
    flat = {name: value for name, value in saved.items() if not isinstance(value, dict)}
    for section in (value for value in saved.values() if isinstance(value, dict)):
        flat.update(section)
    return flat


def restore_networks(run_dir, **networks):
    """Load ``networks`` (checkpoint name -> network) from the newest checkpoint of ``run_dir``; return them."""
    checkpoint = tf.train.Checkpoint(**networks)
    if checkpoints.restore(checkpoint, os.path.join(run_dir, "checkpoints"), partial=True) is None:
        raise FileNotFoundError(f"No checkpoint in {run_dir}/checkpoints: train first.")
    return networks


def check_domains(config, domains):
    """Refuse (name, images) pairs whose images are not ``config.image_shape`` or fewer than a batch."""
    for name, domain in domains:
        if tuple(domain.shape[1:]) != config.image_shape:
            raise ValueError(f"{name} images have shape {domain.shape[1:]}, the config says {config.image_shape}.")
        if len(domain) < config.batch_size:
            raise ValueError(f"Need at least one full batch: {name} has {len(domain)} images, fewer than the batch "
                             f"size {config.batch_size}. Add images or lower the batch size.")


class Architecture:
    """One kind of GAN as the trainer sees it; as it stands, the DCGAN (``gan.GAN``, ``gan.StabilizedGAN``).

    A subclass overrides what its architecture does differently. Attributes: ``draws_from_noise``
    (its samples come from noise: ``sample``, ``evaluate`` and ``--fid-every`` work), ``measures_xla``
    (``--compile auto`` may pick XLA) and ``exports`` (the files ``export`` writes).
    """

    draws_from_noise = True
    measures_xla = True
    exports = "generator.keras"

    def check(self, config):
        """Refuse settings this architecture cannot train and fill in what follows from the others, in place."""

    def command_line(self, args):
        """Fill in ``train``'s defaults for this architecture in ``args`` (argparse's); refuse options it does not
        take."""
        if args.dataset_b is not None:
            raise ValueError("--dataset-b is for --model cyclegan.")

    def describe(self, config):
        """What the trainer's first line says of the run besides the device: '' (a CycleGAN names its domains)."""
        return ""

    def speed_key(self, config):
        """What ``benchmark.fastest_mode`` adds to its cache key for this architecture: '' for the DCGAN."""
        return ""

    def generator(self, config):
        """A new generator for ``config``: noise (N, latent_dim) -> images (N, H, W, C) in [-1, 1]."""
        return generator_of(config)

    def build(self, config):
        """A new, uncompiled GAN with the networks and stabilizers of ``config``."""
        return build_gan(config, self.generator)

    def compile(self, gan, config, mode):
        """``gan`` compiled with ``config``'s optimizers; ``mode`` is 'eager', 'graph' or 'xla'."""
        return compile_gan(gan, config, mode)

    def training_data(self, config, images, data_dir):
        """(config, images, labels): the arrays a run trains on (by default ``config.dataset``'s), checked."""
        if images is None:
            images = data.training_images(config.dataset, data_dir, config.limit, config.image_shape[0],
                                           classes=config.classes)
        check_domains(config, [(config.dataset, images)])
        return config, images, None

    def dataset(self, config, images, labels):
        """(endless dataset of batches, steps per epoch); made after ``set_seed``, so that its shuffling is the run's.

        One iterator for the whole run: without repeat(), fit() makes a new iterator every
        epoch, and with 60000 images in the pipeline that stalled the first step for up to 20 s.
        """
        dataset = data.make_dataset(images, config.images_per_step, seed=config.seed, flip=config.flip)
        return dataset.repeat(), len(images) // config.images_per_step

    def epoch_callbacks(self, config, run_dir, data_dir, clock, steps_per_epoch):
        """What it does every epoch besides logging and checkpoints: a grid of samples from the run's fixed noise."""
        noise_path = os.path.join(run_dir, "fixed_noise.npy")
        if not os.path.exists(noise_path):
            np.save(noise_path, seeded_noise(config.n_samples, config.latent_dim, config.seed))
        return [SampleGrid(np.load(noise_path), os.path.join(run_dir, "samples"))]

    def run_figures(self, log):
        """{file name: matplotlib figure} drawn from a run's log (``plots.read_log``) into its folder after training:
        the losses and what the discriminator believes."""
        return {"losses.png": plots.plot_losses(log), "discriminator.png": plots.plot_discriminator_outputs(log)}

    def export(self, gan, run_dir):
        """Save the finished sampling generator (the EMA one, if kept) as generator.keras."""
        sampling_generator(gan).save(os.path.join(run_dir, "generator.keras"))

    def sampling_networks(self, config):
        """{checkpoint name: new network} of what a finished run is used for: the sampling generator (the EMA one
        for a run with ``ema``). ``restore`` loads them; a reference run (``reference.export``) keeps only them."""
        return {"ema_generator" if config.ema else "generator": self.generator(config)}

    def restore(self, run_dir, config):
        """The sampling generator of the newest checkpoint in ``run_dir`` (the EMA one for a run with ``ema``)."""
        (network,) = restore_networks(run_dir, **self.sampling_networks(config)).values()
        return network

    def evaluate(self, run_dir, config, n, data_dir=None):
        """A report of its own for ``evaluation.evaluation_report`` (a dict with ``n``), or None: an architecture that
        draws from noise is scored on its samples (FID, KID, IS, class shares), which ``sample`` draws."""
        return None

    def sample(self, run_dir, config, n, seed=0, label=None, truncation=1.0):
        """(images in [-1, 1], the labels they were drawn for or None, what they are in words) from a run.

        ``label`` is for architectures that take labels; ``truncation`` < 1 for a style generator.
        """
        if label is not None:
            raise ValueError(f"{run_dir} holds an unconditional GAN, which cannot draw a chosen class: "
                             "leave out --label, or train with --conditional.")
        return generate(self.restore(run_dir, config), n, seed=seed, truncation=truncation), None, ""
