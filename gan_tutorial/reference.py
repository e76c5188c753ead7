"""Reference runs shipped with the package: a trained generator per headline run, and the scores to expect.

A reference run is a run folder cut down to what using it needs: its ``config.json``, one checkpoint that holds only
the architecture's ``sampling_networks`` (the EMA generator; a CycleGAN's two translators), with no discriminator and
no optimizer state, and the record of its training (``RECORD``: the log, the sample grids, the curves and its
evaluation), so that a notebook shows the same cells for it as for a run of its own. Whatever reads a run folder
reads it: ``gan-tutorial sample --pretrained NAME``, ``translate
--pretrained NAME``, ``training.restore_generator(pretrained=NAME)``, ``evaluation.evaluation_report``.

``EXPECTED`` (expected.json) holds, per reference, the settings its runs share, each seed's scores (from
``gan-tutorial evaluate``: 10,000 samples, the domain features) and where they were measured; ``verdict`` places
another run's report against them, and ``gan-tutorial evaluate RUN`` prints it for a run of the same settings.
"""

import dataclasses
import json
import os
import shutil

import tensorflow as tf

from gan_tutorial import checkpoints
from gan_tutorial.architectures import architecture_of
from gan_tutorial.config import load_config
from gan_tutorial.data import FOLDER_PREFIX, is_folder
from gan_tutorial.runs import EVALUATION_FILE, restore_networks
from gan_tutorial.runtime import smoke_run, smoke_scale

REFERENCE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference")
EXPECTED = "expected.json"
# What a reference keeps of its run besides config.json and the sampling networks: the record of its training (a
# few hundred KB a run). Left out: the full checkpoints and the exported .keras models (they repeat the networks).
RECORD = ("log.csv", "fid.csv", "samples", "progress.gif", "losses.png", "discriminator.png", "fid.png",
          "fixed_noise.npy", EVALUATION_FILE)
# Of the sample grids (one per epoch; about 0.6 MB each at 64 x 64), a reference keeps the first, the last and evenly
# spaced ones between, this many at most: the ones a notebook shows (progress.gif keeps every epoch, smaller).
KEPT_GRIDS = 5
# Of the log (one row per step, 54 bytes a row), a reference keeps at most this many rows: every k-th step, and the
# last one (``run_record`` reads it). The curves (losses.png, discriminator.png) are drawn from the whole log.
KEPT_LOG_ROWS = 5000


def kept_log_rows(rows):
    """The rows (after the header) of a log that a reference keeps: all of them up to ``KEPT_LOG_ROWS``, else every
    k-th row, k = ceil(rows / (``KEPT_LOG_ROWS`` - 1)), and the last."""
    if len(rows) <= KEPT_LOG_ROWS:
        return list(rows)
    stride = -(-len(rows) // (KEPT_LOG_ROWS - 1))
    return [row for i, row in enumerate(rows) if i % stride == stride - 1 and i < len(rows) - 1] + [rows[-1]]


def kept_grids(grids):
    """The sample grids (file names, in epoch order) a reference keeps: ``KEPT_GRIDS`` evenly spaced from the first
    to the last."""
    if len(grids) <= KEPT_GRIDS:
        return list(grids)
    return [grids[round(i * (len(grids) - 1) / (KEPT_GRIDS - 1))] for i in range(KEPT_GRIDS)]
# A run is compared with a reference trained with every setting the same but these (they change no image, or, for
# the seed, are what the reference's seeds vary).
UNMATCHED_SETTINGS = ("seed", "compile_mode", "n_samples", "tensorboard")
SMOKE_SCALED = ("max_seconds", "epochs", "limit")  # the settings runtime.scaled and scaled_limit divide
# The figures compared, which way is better, and their names in words: of samples drawn from noise, and of a
# CycleGAN's translations (``cyclegan.translation_report``). A report is compared on those of them it has.
BAND_METRICS = {"confident_share": "higher", "fid": "lower", "classes_covered": "higher",
                "cycle_mae": "lower", "translated_to_target": "higher"}
METRIC_NAMES = {"confident_share": "confident share", "fid": "domain FID", "classes_covered": "classes",
                "cycle_mae": "cycle error", "translated_to_target": "translations read as the target class"}
PERCENT_METRICS = ("confident_share", "translated_to_target", "label_agreement")  # shares, written as percentages
# What each seed's record keeps from its report besides BAND_METRICS: {name: a function of the report, or None where
# the report lacks it} (KID's mean, the lowest and highest class share, a conditional run's label agreement).
EXTRA_METRICS = {
    "kid": lambda report: report["kid"]["mean"] if "mean" in report.get("kid", {}) else None,
    "class_share_range": lambda report: report.get("class_share_range"),
    "label_agreement": lambda report: report.get("label_agreement", {}).get("agreement"),
}


def settings_of(config):
    """A TrainConfig's settings that a reference must share with a run, as JSON writes them (flat). A ``folder:PATH``
    dataset is named by its folder's name alone (``folder:07_horses``): where a notebook or a user keeps the folder
    differs from machine to machine."""
    flat = {name: value for section in dataclasses.asdict(config).values() for name, value in section.items()}
    for key in ("dataset", "dataset_b"):
        if isinstance(flat.get(key), str) and is_folder(flat[key]):
            flat[key] = FOLDER_PREFIX + os.path.basename(os.path.normpath(flat[key][len(FOLDER_PREFIX):]))
    return json.loads(json.dumps({name: value for name, value in flat.items() if name not in UNMATCHED_SETTINGS}))


def names(folder=None):
    """The reference runs the package ships, by name."""
    folder = folder or REFERENCE_DIR
    if not os.path.isdir(folder):
        return []
    return sorted(name for name in os.listdir(folder) if os.path.exists(os.path.join(folder, name, "config.json")))


def run_dir(name, folder=None):
    """The folder of the reference run ``name``: use it wherever a run folder goes."""
    if name not in names(folder):
        shipped = ", ".join(names(folder)) or "none"
        raise ValueError(f"no reference run named {name!r}; the package ships: {shipped}.")
    return os.path.join(folder or REFERENCE_DIR, name)


def is_reference(path):
    """Whether ``path`` is a reference run the package ships (nothing writes into those)."""
    return os.path.dirname(os.path.abspath(path)) == REFERENCE_DIR


def export(source, name, folder=None):
    """Write the finished run ``source`` as the reference run ``name``: its config.json, a checkpoint of its
    ``sampling_networks`` alone (same checkpoint names and step, so the run's own loaders read it) and what it has of
    ``RECORD`` (of the sample grids, ``kept_grids``). Returns the folder."""
    config = load_config(source)
    networks = restore_networks(source, **architecture_of(config).sampling_networks(config))
    target = os.path.join(folder or REFERENCE_DIR, name)
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target)
    shutil.copy(os.path.join(source, "config.json"), os.path.join(target, "config.json"))
    step = checkpoints.numbers(os.path.join(source, "checkpoints"))[0]
    checkpoints.save(tf.train.Checkpoint(**networks), os.path.join(target, "checkpoints"), step, keep=1)
    for kept in RECORD:
        path = os.path.join(source, kept)
        if os.path.isdir(path):  # the sample grids
            os.makedirs(os.path.join(target, kept))
            for grid in kept_grids(sorted(os.listdir(path))):
                shutil.copy(os.path.join(path, grid), os.path.join(target, kept, grid))
        elif kept == "log.csv" and os.path.exists(path):
            with open(path) as source_log, open(os.path.join(target, kept), "w") as target_log:
                header, *rows = source_log.readlines()
                target_log.writelines([header, *kept_log_rows(rows)])
        elif os.path.exists(path):
            shutil.copy(path, os.path.join(target, kept))
    return target


def load_expected(folder=None):
    """{name: {"settings": {...}, "seeds": {seed: {metric: value}}, ...}} of every reference measured so far."""
    path = os.path.join(folder or REFERENCE_DIR, EXPECTED)
    if not os.path.exists(path):
        return {}
    with open(path) as file:
        return json.load(file)


def record(name, config, reports, folder=None, steps=None, **facts):
    """Write into ``EXPECTED`` the scores of ``name``'s runs: ``reports`` is {seed: an evaluation report} of runs
    of ``config``'s settings, ``steps`` {seed: training steps} (a time budget's steps depend on the machine);
    ``facts`` says where and on what they were measured (machine, data)."""
    folder = folder or REFERENCE_DIR
    expected = load_expected(folder)
    ns = {report["n"] for report in reports.values()}
    if len(ns) != 1:
        raise ValueError(f"the reports of {name} score different numbers of samples: {sorted(ns)}")
    expected[name] = {
        "settings": settings_of(config), "n": ns.pop(),
        "seeds": {str(seed): {**{metric: report[metric] for metric in BAND_METRICS if metric in report},
                              **{name: value for name, read in EXTRA_METRICS.items()
                                 if (value := read(report)) is not None},
                              **({"steps": steps[seed]} if steps else {})} for seed, report in reports.items()},
        **facts}
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, EXPECTED), "w") as file:
        json.dump(expected, file, indent=1, sort_keys=True)
        file.write("\n")


def summary(folder=None, only=None):
    """Markdown tables of every reference's seeds (or of the names in ``only``, in that order): for each figure the
    mean and the sample standard deviation over the seeds (n - 1), the class shares as the lowest and highest of any
    seed, and the steps' range. References that draw from noise come first; those that translate (a CycleGAN's
    cycle error and translated share) in a table after them."""
    from gan_tutorial.metrics import mean_and_spread

    def spread(values, percent=False):
        mean, std = mean_and_spread(values)
        scale, unit = (100, "%") if percent else (1, "")
        return f"{scale * mean:.3g}" + (f" ± {scale * std:.3g}" if len(values) > 1 else "") + unit

    def row(name, seeds, keys):
        def column(key):
            values = [seed[key] for seed in seeds if key in seed]
            return spread(values, key in PERCENT_METRICS) if len(values) == len(seeds) else "n/a"

        steps = [seed["steps"] for seed in seeds if "steps" in seed]
        cells = [name, str(len(seeds)), "n/a" if not steps else f"{min(steps):,}" if min(steps) == max(steps)
                 else f"{min(steps):,}-{max(steps):,}"]
        for key in keys:
            if key == "class_share_range":
                ranges = [seed[key] for seed in seeds if key in seed]
                cells.append(f"{100 * min(r[0] for r in ranges):.1f}-{100 * max(r[1] for r in ranges):.1f}%"
                             if len(ranges) == len(seeds) else "n/a")
            else:
                cells.append(column(key))
        return "| " + " | ".join(cells) + " |"

    tables = {  # (header, keys of each seed's record) of the two kinds of reference
        "samples": ("| reference | seeds | steps | confident > 0.9 | classes | class shares | domain FID | KID | "
                    "label agreement |",
                    ["confident_share", "classes_covered", "class_share_range", "fid", "kid", "label_agreement"]),
        "translations": ("| reference | seeds | steps | cycle error (of 255) | translations read as the target class |",
                         ["cycle_mae", "translated_to_target"])}
    rows = {kind: [] for kind in tables}
    expected = load_expected(folder)
    for name in only or sorted(expected):
        seeds = list(expected[name]["seeds"].values())
        kind = "translations" if all("cycle_mae" in seed for seed in seeds) else "samples"
        rows[kind].append(row(name, seeds, tables[kind][1]))
    return "\n\n".join("\n".join([header, "|" + " --- |" * (len(keys) + 3), *rows[kind]])
                       for kind, (header, keys) in tables.items() if rows[kind])


def expected_for(config, folder=None):
    """(name, entry) of the reference measured with ``config``'s settings (``settings_of``), or None."""
    settings = settings_of(config)
    for name, entry in load_expected(folder).items():
        if entry["settings"] == settings:
            return name, entry
    return None


def _loadable(config):
    """``settings_of(config)`` for ``run_for``. At the smoke scale (``runtime.smoke_run``: the tests) a notebook's
    budgets are divided (``runtime.scaled``), so its load path is matched on every other setting."""
    settings = settings_of(config)
    return {key: value for key, value in settings.items() if key not in SMOKE_SCALED} if smoke_run() else settings


def run_for(config, folder=None):
    """The folder of the shipped reference run trained with ``config``'s settings, for a notebook that offers loading
    it in place of training (every later cell reads it as it reads a run of its own). A ValueError, in one line, where
    none was: it names the reference of the same model and dataset and the settings that differ from it."""
    settings, expected = _loadable(config), load_expected(folder)
    matched = [name for name, entry in expected.items()
               if {key: value for key, value in entry["settings"].items() if key in settings} == settings]
    if matched:  # run_dir says so in one line where its scores are recorded but its generator is not shipped
        budget = (config.max_seconds or 0) * smoke_scale()  # the full run's (at the smoke scale roughly: scaled rounds)
        return run_dir(min(matched, key=lambda name: abs((expected[name]["settings"]["max_seconds"] or 0) - budget)),
                       folder)
    same_kind = [(name, entry) for name, entry in expected.items()
                 if all(entry["settings"].get(key) == settings.get(key) for key in ("model", "dataset", "conditional"))]
    if not same_kind:
        raise ValueError(f"no reference run of a {config.model} on {config.dataset} ships with the package: train "
                         "your own.")
    name, entry = min(same_kind, key=lambda item: sum(item[1]["settings"].get(key) != value
                                                     for key, value in settings.items()))
    differ = ", ".join(f"{key}={settings[key]!r} (the reference: {entry['settings'].get(key)!r})"
                       for key in sorted(settings) if entry["settings"].get(key) != settings[key])
    raise ValueError(f"the reference run {name!r} was trained with other settings: {differ}; train your own, or "
                     "use the reference's settings.")


def verdict(report, entry):
    """Where ``report``'s figures fall against ``entry``'s seeds, on each figure of ``BAND_METRICS`` that the report
    and every seed have: {metric: {"value", "range": [lowest, highest], "place": "within" | "better" | "worse"}}; None
    where the report scored another number of samples (FID depends
    on it) or other features."""
    if report["n"] != entry["n"] or not str(report.get("settings", {}).get("features", "domain")).startswith("domain"):
        return None
    places = {}
    for metric, better in BAND_METRICS.items():
        if metric not in report or any(metric not in scores for scores in entry["seeds"].values()):
            continue
        values = [scores[metric] for scores in entry["seeds"].values()]
        low, high = min(values), max(values)
        value = report[metric]
        place = "within" if low <= value <= high else "better" if (value > high) == (better == "higher") else "worse"
        places[metric] = {"value": value, "range": [low, high], "place": place}
    return places


def describe_verdict(name, places, seeds, steps=None, reference_steps=None):
    """``verdict`` in words, one line; a run worse than every reference seed on a figure is pointed to notebook 09.
    ``steps`` (the run's) and ``reference_steps`` (the seeds' range) are said when they differ by more than a fifth:
    the same time budget trains more steps on a faster machine."""
    def show(metric, value):
        return f"{100 * value:.1f}%" if metric in PERCENT_METRICS else f"{value:g}"

    parts = [f"{METRIC_NAMES[metric]} {show(metric, place['value'])}: {place['place']} "
             f"({show(metric, place['range'][0])} to {show(metric, place['range'][1])})"
             for metric, place in places.items()]
    line = f"Against the reference run {name!r} ({seeds} seeds, the same settings): " + "; ".join(parts) + "."
    if steps and reference_steps and not 0.8 * reference_steps[0] <= steps <= 1.2 * reference_steps[1]:
        line += (f" This run trained {steps:,} steps, the reference's seeds {reference_steps[0]:,} to "
                 f"{reference_steps[1]:,}: compare runs of similar steps.")
    if any(place["place"] == "worse" for place in places.values()):
        line += (" Worse than every seed of the reference: notebook 09 shows what to look at (mode collapse, the "
                 "stabilizers).")
    return line


def main(argv=None):
    """``python -m gan_tutorial.reference NAME RUN [RUN ...] --data TEXT``: ship the first run's generator as the
    reference run NAME (not with ``--scores-only``), and record every run's scores (each run's evaluation.json, from
    ``gan-tutorial evaluate RUN``) as the seeds a run of the same settings is compared with. ``--summary`` prints
    ``summary()``."""
    import argparse

    from gan_tutorial.plots import read_log
    from gan_tutorial.runtime import describe_device

    parser = argparse.ArgumentParser(prog="python -m gan_tutorial.reference", description=main.__doc__)
    parser.add_argument("name", nargs="?")
    parser.add_argument("runs", nargs="*", help="finished runs of the same settings and different seeds")
    parser.add_argument("--data", help="what they trained on, in words (e.g. 'MNIST, 60,000 digits')")
    parser.add_argument("--machine", help="where they trained, in words, when not this machine as it is now (e.g. "
                        "'CPU, 1 of 2 threads (GAN_TUTORIAL_THREADS=1), two runs side by side'); default: "
                        "runtime.describe_device()")
    parser.add_argument("--scores-only", action="store_true",
                        help="record the runs' scores and ship no generator: 'evaluate' places a run of these "
                        "settings against them, and the summary lists them")
    parser.add_argument("--summary", action="store_true",
                        help="print every reference's figures over its seeds (mean ± standard deviation) and stop")
    arguments = parser.parse_args(argv)
    if arguments.summary:
        print(summary())
        return
    if not (arguments.name and arguments.runs and arguments.data):
        parser.error("give NAME, at least one RUN and --data (or --summary)")
    configs = [load_config(run) for run in arguments.runs]
    reports = {}
    for run, config in zip(arguments.runs, configs):
        if settings_of(config) != settings_of(configs[0]):
            raise ValueError(f"{run} was trained with other settings than {arguments.runs[0]}")
        with open(os.path.join(run, EVALUATION_FILE)) as file:
            reports[config.seed] = json.load(file)
    if len(reports) != len(arguments.runs):
        raise ValueError("the runs must have different seeds")
    steps = {config.seed: int(read_log(os.path.join(run, "log.csv"))["step"][-1])
             for run, config in zip(arguments.runs, configs)}
    shipped = {} if arguments.scores_only else {"shipped_seed": configs[0].seed}
    if not arguments.scores_only:
        export(arguments.runs[0], arguments.name)
    record(arguments.name, configs[0], reports, steps=steps, machine=arguments.machine or describe_device(),
           data=arguments.data, **shipped)
    print(f"Recorded the scores of seeds {sorted(reports)} as {arguments.name!r}" +
          ("" if arguments.scores_only else f"; shipped {arguments.runs[0]} as its reference run"))


if __name__ == "__main__":
    main()
