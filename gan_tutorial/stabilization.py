"""Mode collapse, provoked and measured, and the fixes compared on one budget (notebook 09).

* The 8-Gaussian ring: a 2-D toy whose modes can be counted (``ring_data``,
  ``modes_covered``), trained in seconds with the same ``GAN.train_step`` (``train_toy``).
* ``compare``: train one ``TrainConfig`` per named variant through ``training.train`` on the
  same seed and time budget, then score each with the domain classifier (classes covered,
  share read confidently, domain FID) and its speed.

The fixes themselves are options of ``TrainConfig`` (``gan_tutorial.gan.STABILIZER_FIELDS``),
implemented where they belong: losses and penalties in ``losses``, layers in ``layers``,
spectral normalization in ``models``, the training step and the EMA in ``gan``.
"""

import contextlib
import dataclasses
import os

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from gan_tutorial import data, training
from gan_tutorial.gan import STABILIZERS_OFF, StabilizedGAN, generate, sampling_generator
from gan_tutorial.layers import MinibatchStdDev
from gan_tutorial.metrics import class_report, frechet_distance, label_agreement, mean_and_spread
from gan_tutorial.plots import read_log

RING_MODES, RING_RADIUS, RING_STD = 8, 2.0, 0.05


def ring_centers(modes=RING_MODES, radius=RING_RADIUS):
    """The ``modes`` centers (modes, 2) evenly spaced on a circle of ``radius``."""
    angles = 2 * np.pi * np.arange(modes) / modes
    return (radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)).astype("float32")


def ring_data(n, modes=RING_MODES, radius=RING_RADIUS, std=RING_STD, seed=0):
    """``n`` points (n, 2) from a mixture of ``modes`` Gaussians of ``std`` on a ring, equally weighted."""
    rng = np.random.default_rng(seed)
    centers = ring_centers(modes, radius)[rng.integers(0, modes, n)]
    return (centers + std * rng.standard_normal((n, 2))).astype("float32")


def modes_covered(points, centers, std=RING_STD, min_share=0.01):
    """Count the modes a set of 2-D points reaches, and how good the points are.

    A point belongs to its nearest center if it lies within 3 ``std`` of it (else it is
    off every mode). A mode is covered if at least ``min_share`` of the points belong to it
    (VEEGAN counts 20 of 2,500, 0.8%). Returns a dict: ``modes_covered``, ``high_quality``
    (share of points on some mode) and ``mode_shares`` (share of all points per mode).
    """
    points, centers = np.asarray(points, "float64"), np.asarray(centers, "float64")
    distances = np.linalg.norm(points[:, None, :] - centers[None, :, :], axis=-1)
    nearest = distances.argmin(axis=1)
    on_mode = distances.min(axis=1) <= 3 * std
    shares = np.bincount(nearest[on_mode], minlength=len(centers)) / len(points)
    return {"modes_covered": int((shares >= min_share).sum()), "high_quality": round(float(on_mode.mean()), 4),
            "mode_shares": [round(float(s), 4) for s in shares]}


def toy_networks(latent_dim=2, hidden=128, dims=2, minibatch_std=False, activation="relu"):
    """A Dense generator (noise -> points) and discriminator (points -> logit) for toys of ``dims`` dimensions."""
    generator = keras.Sequential([keras.Input((latent_dim,)), layers.Dense(hidden, activation=activation),
                                  layers.Dense(hidden, activation=activation), layers.Dense(dims)], name="toy_generator")
    batch_features = [layers.Reshape((1, 1, hidden)), MinibatchStdDev(group_size=4), layers.Flatten()] if minibatch_std else []
    discriminator = keras.Sequential([keras.Input((dims,)), layers.Dense(hidden, activation=activation), *batch_features,
                                      layers.Dense(hidden, activation=activation), layers.Dense(1)],
                                     name="toy_discriminator")
    return generator, discriminator


def train_toy(steps=2000, batch_size=256, learning_rate=1e-3, beta_1=0.5, seed=0, minibatch_std=False,
              snapshots=(), std=RING_STD, **options):
    """Train a toy GAN on the 8-Gaussian ring; return ``(gan, {step: points})`` of 2,000 samples at ``snapshots``.

    ``options`` are ``StabilizedGAN`` keyword options (``loss``, ``r1_weight``, ``ema``, ...), the same
    ones the image GANs use.
    """
    keras.utils.set_random_seed(seed)
    generator, discriminator = toy_networks(minibatch_std=minibatch_std)
    gan = StabilizedGAN(generator, discriminator, latent_dim=2, seed=seed, **options)
    gan.compile(keras.optimizers.Adam(learning_rate, beta_1=beta_1), keras.optimizers.Adam(learning_rate, beta_1=beta_1))
    points = tf.data.Dataset.from_tensor_slices(ring_data(steps * batch_size, std=std, seed=seed)).batch(batch_size)
    noise = np.random.default_rng(seed + 1).standard_normal((2000, 2)).astype("float32")
    pictures, done = {}, 0
    for stop in sorted({*snapshots, steps}):
        if stop > done:
            gan.fit(points.skip(done).take(stop - done), epochs=1, verbose=0, shuffle=False)  # shuffled already
            done = stop
        pictures[stop] = np.asarray(sampling_generator(gan)(noise, training=False))
    return gan, pictures


@dataclasses.dataclass
class Scorer:
    """Scores image samples of a labeled dataset: the domain classifier's report and the domain FID."""

    dataset: str
    classifier: keras.Model
    feature_model: keras.Model
    real_features: np.ndarray
    n: int

    @classmethod
    def for_dataset(cls, dataset, n=10000, data_dir=None, classifier=None, real_images=None):
        """A scorer against ``n`` real training images of ``dataset`` (or against ``real_images``, e.g. one class)."""
        from gan_tutorial import features
        from gan_tutorial.classifier import load_classifier

        classifier = classifier or load_classifier(dataset, data_dir)
        feature_model = features.domain_model(classifier)
        real = features.real_images(dataset, n, "train", data_dir) if real_images is None else real_images
        return cls(dataset, classifier, feature_model, features.extract(feature_model, real), n)

    def score(self, images, threshold=0.9):
        """Classes covered, confident share, class share range and domain FID of images in [-1, 1]."""
        from gan_tutorial import features

        report = class_report(self.classifier.predict(images, batch_size=500, verbose=0), threshold,
                              data.CLASS_NAMES[self.dataset])
        fake = features.extract(self.feature_model, images)
        report["domain_fid"] = round(frechet_distance(fake, self.real_features), 2)
        return report


def score_run(run_dir, scorer, threshold=0.9, seed=0):
    """A run's steps and training seconds, and the figures of ``scorer.n`` samples of it (``Scorer``): classes
    covered, confident share, domain FID and, for a conditional run (notebook 10), the ``label_agreement``."""
    images, labels = training.draw_samples(run_dir, scorer.n, seed)
    report = scorer.score(images, threshold)
    if labels is not None:
        report.update(label_agreement(scorer.classifier.predict(images, batch_size=500, verbose=0), labels, threshold,
                                      data.CLASS_NAMES[scorer.dataset]))
    log = read_log(os.path.join(run_dir, "log.csv"))
    return {"steps": int(log["step"][-1]), "seconds": round(float(log["seconds"][-1])), **report}


def compare(variants, dataset="mnist", epochs=8, out="runs/stabilization", scorer=None, data_dir=None,
            verbose=False, **base):
    """Train each variant (name -> TrainConfig overrides) on the same seed and steps; return one row per variant.

    A variant may set its own ``epochs`` (a costlier step, say, compared at similar compute).
    The budget is counted in epochs, not seconds, so that a busy machine changes the
    times but not the images; ``images_per_second`` says what each step costs. Every run
    goes through ``training.train`` into ``out/name`` (an existing finished run is scored
    again, not retrained). Each row: name, steps, training seconds, images/s, and the
    ``Scorer``'s figures on ``scorer.n`` samples of the sampling generator.
    """
    scorer = scorer or Scorer.for_dataset(dataset, data_dir=data_dir)
    rows = []
    for name, overrides in variants.items():
        config = training.TrainConfig.for_dataset(dataset, **{"epochs": epochs, **base, **overrides})
        run_dir = os.path.join(out, name)
        result = training.train(config, run_dir, data_dir=data_dir, verbose=verbose)
        seconds = read_log(os.path.join(run_dir, "log.csv"))["seconds"]
        report = scorer.score(generate(sampling_generator(result.gan), scorer.n))
        images = result.step * config.images_per_step  # real images D saw: n_critic batches a step
        row = {"name": name, "steps": result.step, "seconds": round(result.seconds, 1),
               "images_per_second": round(images / max(seconds[-1], 1e-9)), **report}
        rows.append(row)
        print(f"{name}: {row['steps']} steps, {row['images_per_second']} images/s, {row['classes_covered']} classes, "
              f"{100 * row['confident_share']:.1f}% confident, domain FID {row['domain_fid']}", flush=True)
    return rows


def compare_over_seeds(variants, seeds=(0, 1, 2), out="runs/stabilization", **options):
    """``compare`` once per seed, into ``out``/seed{seed}/name; return ``{seed: rows}``.

    The seeds run one after the other, each through every variant: the first seed's table is complete before the
    second starts. Finished runs are scored again, not retrained, and an interrupted run resumes from its last
    checkpoint, so a measurement stopped halfway goes on where it stopped.
    """
    return {seed: compare(variants, out=os.path.join(out, f"seed{seed}"), seed=seed, **options) for seed in seeds}


SPREAD_KEYS = ("confident_share", "domain_fid", "classes_covered")


def over_seeds(rows_by_seed):
    """One row per variant from ``compare_over_seeds``'s ``{seed: rows}``: for each of ``SPREAD_KEYS`` the mean over
    the seeds (``KEY``), the sample standard deviation (``KEY_std``, n - 1 in the denominator) and the values
    (``KEY_values``, in seed order); the class share range over every seed's samples (lowest, highest); ``steps``
    (the same for every seed); and ``seeds``. Speeds are left out: ``measure_speeds`` measures them apart."""
    seeds = sorted(rows_by_seed)
    by_name = {}
    for seed in seeds:
        for row in rows_by_seed[seed]:
            by_name.setdefault(row["name"], []).append(row)
    summary = []
    for name, rows in by_name.items():
        if len(rows) != len(seeds):
            raise ValueError(f"{name} was measured for {len(rows)} of the {len(seeds)} seeds")
        if len({row["steps"] for row in rows}) != 1:
            raise ValueError(f"{name} trained different numbers of steps: {[row['steps'] for row in rows]}")
        row = {"name": name, "steps": rows[0]["steps"], "seeds": seeds,
               "class_share_range": [min(r["class_share_range"][0] for r in rows),
                                     max(r["class_share_range"][1] for r in rows)]}
        for key in SPREAD_KEYS:
            mean, std = mean_and_spread([r[key] for r in rows])
            row[key], row[f"{key}_std"] = round(mean, 4), round(std, 4)
            row[f"{key}_values"] = [r[key] for r in rows]
        summary.append(row)
    return summary


def measure_speeds(variants, dataset="mnist", steps=100, rounds=3, data_dir=None, **base):
    """Milliseconds per training step and real images per second of each variant, the step traced as in training
    (``benchmark.step_function``), in this one process: run it on an otherwise idle machine.

    Every variant is built and traced once, then timed for ``steps`` steps in each of ``rounds`` rounds that take the
    variants in turn, so that a drift of the machine's speed falls on all of them alike; each row gives the median
    round (``ms_per_step``) and the fastest and slowest (``ms_range``). A step of ``n_critic`` > 1 (WGAN-GP) reads
    ``n_critic`` real batches, each counted."""
    from gan_tutorial import benchmark
    from gan_tutorial.architectures import architecture_of

    measured = {}
    for name, overrides in variants.items():
        config = training.TrainConfig.for_dataset(dataset, **{**base, **overrides})
        images = data.load_images(dataset, "train", data_dir, limit=4 * config.images_per_step)[0]
        architecture = architecture_of(config)
        gan = architecture.compile(architecture.build(config), config, "graph")
        measured[name] = (config, benchmark.step_function(gan, "graph"), benchmark.real_batches(config, images), [])
    for round_ in range(rounds):
        for config, step, batches, times in measured.values():
            times.append(benchmark.measure(step, batches, steps, warmup=3 if round_ == 0 else 1)["ms_per_step"])
    rows = []
    for name, (config, _, _, times) in measured.items():
        ms = round(float(np.median(times)), 2)
        rows.append({"name": name, "ms_per_step": ms, "ms_range": [min(times), max(times)],
                     "images_per_second": round(1000 * config.images_per_step / ms)})
    return rows


def alone(**options):
    """TrainConfig overrides with every stabilizer off except ``options``."""
    return {**STABILIZERS_OFF, **options}


# Each fix alone, on top of no stabilizer at all, as notebook 09's table measures them (TrainConfig overrides).
VARIANTS = {
    "baseline": alone(),
    "ema": alone(ema=0.999),
    "spectral_norm": alone(spectral_norm=True),
    "hinge_sn": alone(loss="hinge", spectral_norm=True),
    "r1": alone(r1_weight=1.0, r1_every=4),
    "minibatch_std": alone(minibatch_std=True),
    "minibatch_discrimination": alone(minibatch_discrimination=16),
    "feature_matching": alone(feature_matching=1.0),
    "ttur": alone(d_learning_rate=4e-4, g_learning_rate=1e-4),
    "label_smoothing": alone(label_smoothing=0.1),
    "instance_noise": alone(instance_noise=0.1),
    # Gulrajani et al.'s recipe (gan.WGAN_GP_RECIPE: 5 critic steps, each on a fresh real batch, lr 1e-4, Adam betas
    # (0, 0.9)). An epoch then has a fifth of the generator steps, each with five critic updates and the penalty.
    "wgan_gp": alone(loss="wgan-gp"),
}

# The combinations notebook 09 measures together; the second is TrainConfig's default.
COMBINATIONS = {
    "minibatch_discrimination+r1": alone(minibatch_discrimination=16, r1_weight=1.0, r1_every=4),
    "minibatch_discrimination+r1+ema": alone(minibatch_discrimination=16, r1_weight=1.0, r1_every=4, ema=0.999),
}


def plot_ring(pictures, title="", std=RING_STD, limit=3.0):
    """Scatter plots of generated 2-D points, one panel per ``{step: points}``, with the ring's centers; the figure.

    Each panel's title counts the modes covered (``modes_covered`` with the data's ``std``).
    """
    import matplotlib.pyplot as plt

    centers = ring_centers()
    fig, axes = plt.subplots(1, len(pictures), figsize=(2.6 * len(pictures), 2.8), squeeze=False)
    for ax, (step, points) in zip(axes[0], pictures.items()):
        ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.4)
        ax.scatter(centers[:, 0], centers[:, 1], s=40, marker="x", color="red")
        ax.set(xlim=(-limit, limit), ylim=(-limit, limit), aspect="equal", xticks=[], yticks=[],
               title=f"step {step}: {modes_covered(points, centers, std)['modes_covered']} of {len(centers)} modes")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


TABLE_COLUMNS = {"name": "variant", "steps": "steps", "ms_per_step": "ms a step", "images_per_second": "images/s",
                 "classes_covered": "classes", "confident_share": "confident > 0.9",
                 "class_share_range": "class shares", "domain_fid": "domain FID"}


def results_table(rows, columns=None):
    """Rows of ``compare`` (or ``over_seeds``: then "mean ± std") as a Markdown table, shares as percentages.

    ``columns`` (keys of ``TABLE_COLUMNS``) picks the columns; by default those the rows have.
    """
    columns = columns or [key for key in TABLE_COLUMNS if key in rows[0]]

    spread_format = {"confident_share": lambda v: f"{100 * v:.1f}", "domain_fid": lambda v: f"{v:.1f}",
                     "classes_covered": lambda v: f"{v:.3g}"}

    def cell(row, key):
        value = row[key]
        if key == "class_share_range":
            return f"{100 * value[0]:.1f}-{100 * value[1]:.1f}%"
        if f"{key}_std" in row:
            text = spread_format[key]
            return f"{text(value)} ± {text(row[f'{key}_std'])}" + ("%" if key == "confident_share" else "")
        if key == "confident_share":
            return f"{100 * value:.1f}%"
        return f"{value:,}" if isinstance(value, int) else str(value)

    lines = ["| " + " | ".join(TABLE_COLUMNS[key] for key in columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(cell(row, key) for key in columns) + " |" for row in rows]
    return "\n".join(lines)


# Which way is better for each figure of the table over seeds.
BETTER = {"confident_share": "higher", "domain_fid": "lower", "classes_covered": "higher"}
DEFAULTS_ROW = "minibatch_discrimination+r1+ema"  # TrainConfig's defaults, in COMBINATIONS


def against(rows, reference=DEFAULTS_ROW, keys=("confident_share", "domain_fid")):
    """Each row of ``over_seeds`` against the row named ``reference``, per figure: "better" or "worse" where the
    means differ by more than the two spreads together (std + std), else "within the spread"; {name: {key: verdict}}.

    With 3 seeds a difference smaller than that is not a difference: another 3 seeds could reverse it."""
    by_name = {row["name"]: row for row in rows}
    base = by_name[reference]
    verdicts = {}
    for row in rows:
        if row["name"] == reference:
            continue
        verdicts[row["name"]] = {}
        for key in keys:
            gap = row[key] - base[key]
            if abs(gap) <= row[f"{key}_std"] + base[f"{key}_std"]:
                verdicts[row["name"]][key] = "within the spread"
            else:
                verdicts[row["name"]][key] = "better" if (gap > 0) == (BETTER[key] == "higher") else "worse"
    return verdicts


def shipped_table(path=None):
    """The table over seeds the package ships (``load_reference``) as Markdown: each variant's figures as mean ± std,
    with the step speeds measured apart (``--speeds``) where the table has them, and a line naming the runs not
    measured yet."""
    table = load_reference(path or REFERENCE)
    speeds = {row["name"]: row for row in table.get("speeds", {}).get("rows", [])}
    rows = [{**row, **{k: v for k, v in speeds.get(row["name"], {}).items() if k != "name"}} for row in table["rows"]]
    text = results_table(rows) if rows else "(no variant measured for every seed yet)"
    missing = table.get("missing", [])
    if missing:
        named = ", ".join(f"{name} seed {seed}" for seed, name in missing[:4]) + (", ..." if len(missing) > 4 else "")
        text += f"\n\nNot measured yet: {len(missing)} run{'s' * (len(missing) > 1)} ({named})."
    return text


def plot_results(rows, baseline="baseline"):
    """Bars of each variant's confident share and domain FID, the baseline's drawn as a line; the figure.

    Rows of ``over_seeds`` (with ``KEY_std``) get error bars of one standard deviation each way, and the label says
    how many seeds the bars average."""
    import matplotlib.pyplot as plt

    names = [row["name"] for row in rows]
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.35 * len(rows) + 1.2), sharey=True)
    for ax, key, label in zip(axes, ("confident_share", "domain_fid"),
                              ("share read with confidence > 0.9 (higher is better)", "domain FID (lower is better)")):
        scale = 100 if key == "confident_share" else 1
        values = [row[key] * scale for row in rows]
        spread = [row[f"{key}_std"] * scale for row in rows] if all(f"{key}_std" in row for row in rows) else None
        if spread is not None:
            label += f"\nmean ± std of {len(rows[0]['seeds'])} seeds"
        ax.barh(names, values, xerr=spread, capsize=2,
                color=["gray" if name == baseline else "tab:blue" for name in names])
        if baseline in names:
            ax.axvline(values[names.index(baseline)], color="gray", linestyle="--")
        ax.set_xlabel(label)
    axes[0].invert_yaxis()
    fig.tight_layout()
    return fig


# Notebook 09's table measured over seeds, as ``python -m gan_tutorial.stabilization`` writes it (package data).
REFERENCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference", "stabilization_mnist.json")


def load_reference(path=REFERENCE):
    """The table over seeds the package ships: ``{"rows": over_seeds rows, "per_seed": {seed: compare rows},
    "settings": {...}}``."""
    import json

    with open(path) as file:
        return json.load(file)


# The settings a recorded row must share with a new measurement for the two to sit in one table.
TABLE_SETTINGS = ("dataset", "training_images", "epochs", "samples", "tensorflow", "keras")


@contextlib.contextmanager
def _table(path, new=None):
    """The table at ``path`` (or ``new`` where there is none) to change in the block, written back when it ends: under
    ``runtime.exclusive`` (several processes may record into one table; the lock goes with its process) and through
    ``runtime.replace_atomically`` (a reader never sees half a table)."""
    import json

    from gan_tutorial.runtime import exclusive, replace_atomically

    def write(temporary):
        with open(temporary, "w") as file:
            json.dump(table, file, indent=1)
            file.write("\n")

    with exclusive(path):
        table = load_reference(path) if os.path.exists(path) else new
        yield table
        replace_atomically(path, write)


def record_row(path, settings, seed, row):
    """Add one (seed, variant) row to the table at ``path`` (replacing that pair's earlier row) and recompute its
    ``rows`` over seeds for every variant measured on all of the table's seeds; ``missing`` lists the pairs of those
    seeds and of ``settings["variants"]`` (all the table is for) not measured yet. Several processes may record into
    one table (``_table``). The rows over seeds follow ``settings["variants"]``, not the order the runs finished in."""
    with _table(path, {"settings": settings, "per_seed": {}}) as table:
        rows = [r for r in table["per_seed"].get(str(seed), []) if r["name"] != row["name"]]
        table["per_seed"][str(seed)] = rows + [row]
        table["settings"]["seeds"] = sorted(set(table["settings"]["seeds"]) | set(settings["seeds"]))
        seeds = table["settings"]["seeds"]
        table["settings"]["variants"] = settings.get("variants") or table["settings"].get("variants", [])
        names = list(dict.fromkeys(table["settings"]["variants"] + [r["name"] for s in seeds
                                                                     for r in table["per_seed"].get(str(s), [])]))
        done = {s: {r["name"] for r in table["per_seed"].get(str(s), [])} for s in seeds}
        complete = [n for n in names if all(n in done[s] for s in seeds)]
        table["rows"] = over_seeds({s: sorted((r for r in table["per_seed"][str(s)] if r["name"] in complete),
                                              key=lambda r: names.index(r["name"])) for s in seeds}) if complete else []
        table["missing"] = [[s, n] for s in seeds for n in names if n not in done[s]]
    return table


def record_speeds(path, variants, data_dir=None, steps=100, rounds=3):
    """``measure_speeds`` of ``variants`` in this one process, recorded under the table's ``speeds`` with the device
    and the date: the table's speed column, measured apart from its runs (their seconds include whatever else ran)."""
    import datetime

    from gan_tutorial.runtime import describe_device

    rows = measure_speeds(variants, steps=steps, rounds=rounds, data_dir=data_dir)
    with _table(path) as table:
        table["speeds"] = {"device": describe_device(), "date": datetime.date.today().isoformat(), "steps": steps,
                           "rounds": rounds, "rows": rows}
    print(results_table(rows))
    return table


def recorded(path, settings):
    """``{seed: names}`` already in the table at ``path``; an error if it was measured with other ``TABLE_SETTINGS``
    (its rows cannot share a table with the new ones: pass another ``--table`` or delete it)."""
    if not os.path.exists(path):
        return {}
    table = load_reference(path)
    differ = [k for k in TABLE_SETTINGS if table["settings"].get(k) != settings[k]]
    if differ:
        raise SystemExit(f"{path} was measured with other settings ({', '.join(differ)}): "
                         "pass another --table, or delete it to measure again")
    return {int(seed): {row["name"] for row in rows} for seed, rows in table["per_seed"].items()}


def main(argv=None):
    """``python -m gan_tutorial.stabilization``: train and score notebook 09's variants (``VARIANTS`` and
    ``COMBINATIONS``) for each seed on its budget, and write the table over seeds (``REFERENCE``).

    Each run is recorded in the table as soon as it is scored, and a (seed, variant) pair already in the table is not
    measured again: a measurement stopped halfway, even on another machine, goes on where it stopped, and several
    processes (``--variants`` or ``--seeds`` split between them) can fill one table."""
    import argparse
    import platform

    every = {**VARIANTS, **COMBINATIONS}
    parser = argparse.ArgumentParser(prog="python -m gan_tutorial.stabilization", description=main.__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--variants", nargs="+", choices=list(every), default=list(every),
                        help="which variants this process measures (default: all)")
    parser.add_argument("--epochs", type=int, default=8, help="each run's budget (notebook 09: 8 epochs)")
    parser.add_argument("--samples", type=int, default=10000, help="samples scored per run")
    parser.add_argument("--out", default="runs/stabilization", help="run folders: OUT/seedS/VARIANT")
    parser.add_argument("--table", default=REFERENCE, help="where the JSON table goes")
    parser.add_argument("--speeds", action="store_true",
                        help="measure each variant's step time instead (run it on an otherwise idle machine) and "
                             "record it in the table's speeds")
    parser.add_argument("--speed-steps", type=int, default=100,
                        help="steps timed per variant and round with --speeds (3 rounds, the variants in turn)")
    parser.add_argument("--data-dir")
    arguments = parser.parse_args(argv)
    if arguments.speeds:
        return record_speeds(arguments.table, {name: every[name] for name in arguments.variants}, arguments.data_dir,
                             arguments.speed_steps)
    images = len(data.load_images("mnist", "train", arguments.data_dir)[0])
    settings = {"dataset": "mnist", "training_images": images, "epochs": arguments.epochs,
                "samples": arguments.samples, "seeds": arguments.seeds, "variants": list(every),
                "machine": platform.machine(),
                "tensorflow": tf.__version__, "keras": keras.__version__}
    done = recorded(arguments.table, settings)
    scorer = Scorer.for_dataset("mnist", n=arguments.samples, data_dir=arguments.data_dir)
    table = None
    for seed in arguments.seeds:
        for name in arguments.variants:
            if name in done.get(seed, ()):
                continue
            (row,) = compare({name: every[name]}, out=os.path.join(arguments.out, f"seed{seed}"), seed=seed,
                             epochs=arguments.epochs, scorer=scorer, data_dir=arguments.data_dir)
            table = record_row(arguments.table, settings, seed, row)
    table = table or (load_reference(arguments.table) if os.path.exists(arguments.table) else None)
    if table and table["rows"]:
        print(results_table(table["rows"]))
    if table and table["missing"]:
        print(f"{len(table['missing'])} runs not measured yet: run the command again (or the other processes' "
              "commands) to go on")


if __name__ == "__main__":
    main()
