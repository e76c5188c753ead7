"""Training on several devices or machines with ``tf.distribute`` (data parallelism).

Every replica (a GPU, or a logical CPU device) holds a copy of both networks and trains
on its slice of the global batch; the optimizers sum the replicas' gradients, so each
replica's losses are divided by the number of replicas first (``gan.share_of_replica``)
and N replicas make the update of one device on the whole batch. The generator's
BatchNorm layers normalize with the statistics of the global batch (``synchronized``).

Strategies (``TrainConfig.strategy``, ``train --strategy``):

- ``default``: one device, no distribution;
- ``mirrored``: every GPU of this machine, or every logical CPU device (``split_cpu``);
- ``multiworker``: several machines, each started with the same command and its own
  ``TF_CONFIG``; worker 0 (the chief) writes the run folder, the others a temporary one.

``Keras 3``'s own ``keras.distribution`` API does not support the TensorFlow backend.
"""

import functools
import os
import shutil
import tempfile
import time

import keras
import numpy as np
import tensorflow as tf

from gan_tutorial import data
from gan_tutorial.architectures import architecture_of
from gan_tutorial.config import STRATEGIES  # noqa: F401 (distribute.STRATEGIES)


def split_cpu(n):
    """Split the CPU into ``n`` logical devices; call before TensorFlow runs anything.

    Replicas on one CPU share its cores: this tests distributed code, it does not speed it up.
    """
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * n)


@functools.cache
def make_strategy(name):
    """The ``tf.distribute`` strategy called ``name``, one per process (see STRATEGIES)."""
    if name == "default":
        return tf.distribute.get_strategy()
    tf.get_logger().setLevel("WARNING")  # tf.distribute logs every all-reduce it builds
    if name == "mirrored":
        if tf.config.list_physical_devices("GPU"):
            return tf.distribute.MirroredStrategy()
        # With no GPU, MirroredStrategy would use CPU:0 only; take every logical CPU device.
        return tf.distribute.MirroredStrategy([d.name for d in tf.config.list_logical_devices("CPU")])
    if name == "multiworker":
        if "TF_CONFIG" not in os.environ:
            raise ValueError("--strategy multiworker reads the cluster from the TF_CONFIG variable; it is not set.")
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"strategy must be one of {STRATEGIES}, got {name!r}.")


def is_chief(strategy):
    """True on the worker that writes the run folder: every single-machine run, and worker 0 (or 'chief')."""
    resolver = strategy.cluster_resolver
    if resolver is None or not resolver.task_type:
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return resolver.task_type == "chief" or (not has_chief and resolver.task_type == "worker" and resolver.task_id == 0)


def output_dir(run_dir, strategy):
    """Where this worker writes: ``run_dir`` on the chief, a new temporary folder on the others."""
    if is_chief(strategy):
        return run_dir
    resolver = strategy.cluster_resolver
    return tempfile.mkdtemp(prefix=f"gan_tutorial_{resolver.task_type}{resolver.task_id}_")


def remove_worker_dir(folder, run_dir):
    """Remove a worker's temporary ``folder`` (from ``output_dir``); leave the chief's ``run_dir``."""
    if folder != run_dir:
        shutil.rmtree(folder, ignore_errors=True)


def synchronize_batch_norm(model):
    """Make the BatchNormalization layers of ``model`` use the statistics of the global batch.

    By default each replica normalizes with its own slice's mean and variance, so N replicas
    train a slightly different model than one device; synchronized, they train the same one,
    for the price of an all-reduce per layer and step. Every BatchNormalization counts, however deep:
    in a network inside a network (the conditional generator's core) or inside another layer
    (``conditional.ClassBatchNormalization``).
    """
    for layer in model._flatten_layers(include_self=False):  # Keras's own walk through every nested layer
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.synchronized = True
    return model


def build_distributed_gan(config, strategy, mode="graph", sync_batch_norm=True):
    """A compiled GAN whose networks and optimizers live in ``strategy.scope()``, one copy per replica.

    ``sync_batch_norm=False`` keeps per-replica BatchNorm statistics (to see what they change).
    """
    if config.batch_size % strategy.num_replicas_in_sync:
        raise ValueError(f"The global batch of {config.batch_size} is split between {strategy.num_replicas_in_sync} "
                         "replicas: make it a multiple of that.")
    architecture = architecture_of(config)
    with strategy.scope():
        gan = architecture.build(config)
        if sync_batch_norm and strategy.num_replicas_in_sync > 1:
            synchronize_batch_norm(gan.generator)
        gan.built = True  # its networks are; else fit under a strategy would build it by calling it on images
        if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
            gan.train_step = _logs_with_batch_axis(gan.train_step)
        return architecture.compile(gan, config, mode)


def _logs_with_batch_axis(train_step):
    """``train_step`` with each log of shape (1,) instead of a scalar.

    Keras 3 averages a multi-worker step's logs with ``strategy.reduce("MEAN", axis=0)``, which
    fails on scalars (tensorflow/tensorflow#72388); that mean removes the added axis again.
    """
    def step(data):
        return {name: keras.ops.reshape(value, (1,)) for name, value in train_step(data).items()}
    return step


def shard_by_data(dataset):
    """``dataset`` with every worker reading every element and keeping its own share.

    In-memory images have no files to split between workers; this says so, instead of
    letting TensorFlow find out and log a warning.
    """
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def _largest_differences(pairs):
    """Largest absolute and largest relative (to the variable's largest value) difference of array pairs."""
    absolute = relative = 0.0
    for a, b in pairs:
        difference = float(np.max(np.abs(a - b)))
        absolute = max(absolute, difference)
        relative = max(relative, difference / max(float(np.max(np.abs(b))), 1e-30))
    return absolute, relative


def compare_with_one_device(config, images, steps=3, strategy=None, sync_batch_norm=True, mode="graph"):
    """Train ``steps`` global batches on one device and under ``strategy`` from the same start; compare.

    ``mode``: how both compile their step (``gan.COMPILE_MODES``); eager runs the same step without tracing it.
    Both GANs start from the same weights and seed and see the same global batches
    (``config.batch_size`` times ``config.n_critic`` images each, in order, as in training).
    Returns ``replicas`` (of the strategy),
    ``weights``: the largest absolute difference of any generator or discriminator weight,
    and ``optimizer_state``: the largest difference of any optimizer variable relative to
    that variable's largest value. Adam divides by the gradients' own size, so a loss
    off by a factor N barely moves the weights; its moment estimates show it at once.
    """
    strategy = strategy or make_strategy("mirrored")
    batch_size = config.batch_size * config.n_critic
    batches = data.make_dataset(images[:steps * batch_size], batch_size, shuffle=False)
    one = build_distributed_gan(config, tf.distribute.get_strategy(), mode)
    many = build_distributed_gan(config, strategy, mode, sync_batch_norm=sync_batch_norm)
    for name in ("generator", "discriminator"):
        getattr(many, name).set_weights(getattr(one, name).get_weights())
    for gan in (one, many):
        gan.fit(batches, epochs=1, verbose=0, shuffle=False)
    weights, _ = _largest_differences(
        (a.numpy(), b.numpy()) for a, b in zip(many.generator.weights + many.discriminator.weights,
                                              one.generator.weights + one.discriminator.weights))
    _, state = _largest_differences(
        (a.numpy(), b.numpy()) for a, b in zip(many.d_optimizer.variables + many.g_optimizer.variables,
                                              one.d_optimizer.variables + one.g_optimizer.variables))
    return {"replicas": strategy.num_replicas_in_sync, "weights": weights, "optimizer_state": state}


def images_per_second(config, images, strategy, steps=20):
    """Training speed (images/s, global batch) of ``config``'s GAN under ``strategy``, after a warm-up."""
    gan = build_distributed_gan(config, strategy)
    dataset = data.make_dataset(images, config.batch_size, seed=config.seed).repeat()
    gan.fit(dataset, epochs=1, steps_per_epoch=3, verbose=0, shuffle=False)  # traces and compiles the step
    started = time.perf_counter()
    gan.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False)
    return steps * config.batch_size / (time.perf_counter() - started)
