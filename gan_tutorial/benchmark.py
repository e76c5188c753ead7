"""Training speed: the same step run eagerly, as a tf.function, and as a tf.function with XLA.

``benchmark`` measures images per second for each way of running one GAN step on
the same batches in one process; ``fastest_mode`` uses it (cached per machine) to
pick how ``train`` compiles its step.
"""

import dataclasses
import json
import os
import time

import keras
import tensorflow as tf

from gan_tutorial.architectures import architecture_of
from gan_tutorial.gan import stabilizers
from gan_tutorial.runtime import cache_dir, describe_device, exclusive, has_gpu, replace_atomically


def step_function(gan, mode):
    """``gan.train_step`` as run by ``mode``: 'eager' (Python), 'graph' (tf.function) or 'xla'."""
    if mode == "eager":
        return gan.train_step
    return tf.function(gan.train_step, jit_compile=mode == "xla")


def measure(step, batches, steps, warmup=3):
    """Run ``warmup`` steps (tracing, compiling), then time ``steps``; return a dict of figures."""
    started = time.perf_counter()
    for i in range(warmup):
        logs = step(batches[i % len(batches)])
    float(logs["d_loss"])
    warmup_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(steps):
        logs = step(batches[i % len(batches)])
    float(logs["d_loss"])  # wait for the last step to finish
    seconds = time.perf_counter() - started
    batch_size = int(tf.nest.flatten(batches[0])[0].shape[0])
    return {"images_per_second": round(steps * batch_size / seconds, 1),
            "ms_per_step": round(1000 * seconds / steps, 2), "warmup_seconds": round(warmup_seconds, 2)}


def real_batches(config, images, labels=None, most=4):
    """Up to ``most`` batches of what one training step takes: ``config.images_per_step`` images (a WGAN-GP step
    splits them among its ``n_critic`` critic updates), with their labels as int32 where ``labels`` are given.
    Fewer images than one step: one batch of them all, as before (a rough figure rather than no figure)."""
    size = config.images_per_step
    batches = [tf.constant(images[i * size:(i + 1) * size]) for i in range(max(1, min(most, len(images) // size)))]
    if labels is not None:
        batches = [(batch, tf.constant(labels[i * size:(i + 1) * size], "int32")) for i, batch in enumerate(batches)]
    return batches


def benchmark(config, images, modes=None, steps=20, include_mixed=True, labels=None):
    """Images/s of one training step per mode, on the same real batches; returns a JSON-ready dict.

    Mixed precision ('xla+mixed_float16') is added when a GPU is present. A conditional
    ``config`` needs the images' ``labels``.
    """
    modes = modes or ["eager", "graph", "xla"]
    batches = real_batches(config, images, labels)
    results = {}
    architecture = architecture_of(config)
    for mode in modes:
        gan = architecture.compile(architecture.build(config), config, mode)
        results[mode] = measure(step_function(gan, mode), batches, steps if mode != "eager" else max(3, steps // 4))
    if include_mixed and has_gpu() and not config.mixed_precision:
        mixed = dataclasses.replace(config, mixed_precision=True)
        gan = architecture.compile(architecture.build(mixed), mixed, "xla")
        results["xla+mixed_float16"] = measure(step_function(gan, "xla"), batches, steps)
    return {"device": describe_device(), "tensorflow": tf.__version__, "keras": keras.__version__,
            "dataset": config.dataset, "image_shape": list(config.image_shape), "batch_size": config.batch_size,
            "width": config.width, "upsampling": config.upsampling, "latent_dim": config.latent_dim, "results": results,
            "fastest": max(results, key=lambda m: results[m]["images_per_second"])}


def fastest_mode(config, images, labels=None):
    """'graph' or 'xla', whichever trains ``config``'s GAN faster here; measured once, then cached."""
    key = (f"{describe_device()}|tf {tf.__version__}|{config.image_shape}|w{config.width}|{config.upsampling}"
           f"|b{config.batch_size}|{stabilizers(config)}{architecture_of(config).speed_key(config)}")
    path = os.path.join(cache_dir(), "fastest_mode.json")
    with exclusive(path):  # two processes measuring at once would slow each other and overwrite each other's choice
        choices = {}
        if os.path.exists(path):
            with open(path) as f:
                choices = json.load(f)
        if key not in choices:
            print("Measuring whether XLA speeds up this step here (once per machine and model size)...")
            report = benchmark(config, images, modes=["graph", "xla"], steps=10, include_mixed=False, labels=labels)
            choices[key] = report["fastest"]

            def write(temporary):
                with open(temporary, "w") as f:
                    json.dump(choices, f, indent=2)

            replace_atomically(path, write)
    return choices[key]
