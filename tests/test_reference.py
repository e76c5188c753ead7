"""Reference runs: a run cut down to its sampling networks loads wherever a run does, and a run's scores are placed
against the reference's seeds."""

import dataclasses
import json
import os
import pathlib
import re
import shutil
import subprocess

import numpy as np
import pytest

from gan_tutorial import checkpoints, cli, data, evaluation, reference, training
from gan_tutorial.config import TrainConfig, write_config


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    run_dir = str(tmp_path_factory.mktemp("tiny") / "run")
    config = TrainConfig.for_dataset("mnist", epochs=1, limit=128, batch_size=32, width=8, compile_mode="graph",
                                     n_samples=4)
    training.train(config, run_dir, verbose=False)
    return run_dir


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    """An empty folder of reference runs in place of the package's."""
    folder = tmp_path / "reference"
    folder.mkdir()
    monkeypatch.setattr(reference, "REFERENCE_DIR", str(folder))
    return folder


def folder_bytes(folder):
    return sum(os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(folder) for name in names)


@pytest.mark.slow
def test_an_exported_run_restores_the_runs_ema_generator_and_keeps_only_it(tiny_run, shipped):
    # Fails if the export kept the raw generator in place of the EMA one (other images), wrote a checkpoint the run's
    # loader cannot read, kept the discriminator and the optimizers (the size), or left out the record of training
    # that a notebook shows for a run (the log, the grids, the curves), or kept the exported .keras model.
    target = reference.export(tiny_run, "tiny")
    assert reference.names() == ["tiny"] and target == str(shipped / "tiny")
    assert sorted(os.listdir(target)) == sorted(
        ["checkpoints", "config.json", "discriminator.png", "fixed_noise.npy", "log.csv", "losses.png",
         "progress.gif", "samples"])
    assert os.listdir(os.path.join(target, "samples")) == os.listdir(os.path.join(tiny_run, "samples"))
    with open(os.path.join(target, "log.csv")) as kept, open(os.path.join(tiny_run, "log.csv")) as run_log:
        assert kept.read() == run_log.read()
    run_checkpoints = os.path.join(tiny_run, "checkpoints")
    one_checkpoint = folder_bytes(run_checkpoints) / len(checkpoints.numbers(run_checkpoints))
    # measured 0.1: no discriminator, no optimizer moments
    assert folder_bytes(os.path.join(target, "checkpoints")) < 0.3 * one_checkpoint
    from_reference = training.restore_generator(pretrained="tiny").get_weights()
    from_run = training.restore_generator(tiny_run).get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(from_reference, from_run))
    assert reference.is_reference(target) and not reference.is_reference(tiny_run)


@pytest.mark.slow
def test_sample_pretrained_draws_the_same_images_as_the_run(tiny_run, shipped, tmp_path, capsys):
    reference.export(tiny_run, "tiny")
    drawn = []
    for source in (["--pretrained", "tiny"], [tiny_run]):
        out = str(tmp_path / f"{len(drawn)}.npz")
        assert cli.main(["sample", *source, "--n", "16", "--seed", "5", "--out", out]) == 0
        with np.load(out) as f:
            drawn.append(f["images"])
        assert "from the EMA (decay 0.999) generator" in capsys.readouterr().out
    np.testing.assert_array_equal(drawn[0], drawn[1])


def test_an_unknown_or_missing_choice_is_one_line(shipped, capsys):
    assert cli.main(["sample", "--pretrained", "nope", "--out", "x.npz"]) == 2
    assert capsys.readouterr().err == ("gan-tutorial sample: error: no reference run named 'nope'; the package ships: "
                                       "none.\n")
    assert cli.main(["sample", "--out", "x.npz"]) == 2
    assert "give a run folder or --pretrained NAME, one of them." in capsys.readouterr().err
    with pytest.raises(ValueError, match="one of them"):
        training.restore_generator()


ENTRY = {"settings": {}, "n": 1000, "seeds": {"0": {"confident_share": 0.80, "fid": 20.0, "classes_covered": 10},
                                              "1": {"confident_share": 0.82, "fid": 22.0, "classes_covered": 10},
                                              "2": {"confident_share": 0.85, "fid": 25.0, "classes_covered": 10}}}


@pytest.mark.slow
def test_a_notebook_finds_the_reference_of_its_settings_or_is_told_what_differs(tiny_run, shipped):
    # Fails if a reference of other settings were handed out (a notebook would show another run than it describes),
    # or if the refusal did not say which setting differs.
    config = training.load_config(tiny_run)
    target = reference.export(tiny_run, "tiny")
    reference.record("tiny", config, {0: {"n": 100, **ENTRY["seeds"]["0"]}})
    assert reference.run_for(dataclasses.replace(config, seed=3)) == target  # any seed
    with pytest.raises(ValueError, match=r"'tiny' was trained with other settings: width=16 \(the reference: 8\)"):
        reference.run_for(dataclasses.replace(config, width=16))
    with pytest.raises(ValueError, match="no reference run of a dcgan on cifar10"):
        reference.run_for(TrainConfig.for_dataset("cifar10"))
    reference.record("unshipped", dataclasses.replace(config, width=16), {0: {"n": 100, **ENTRY["seeds"]["0"]}})
    with pytest.raises(ValueError, match="no reference run named 'unshipped'; the package ships: tiny"):
        reference.run_for(dataclasses.replace(config, width=16))  # scores recorded, generator not shipped


def test_at_the_smoke_scale_a_notebook_loads_the_reference_of_its_full_budget(shipped, monkeypatch):
    # A notebook's load path under GAN_TUTORIAL_SMOKE (CI) passes budgets divided by the scale: it must still find the
    # reference of its other settings, and of the two MNIST references (300 s and 900 s) the one of its full budget.
    # Fails if budgets were compared at the smoke scale (no reference found) or if the first match were taken.
    full = {seconds: TrainConfig.for_dataset("mnist", max_seconds=seconds) for seconds in (300, 900)}
    for seconds, config in full.items():
        (shipped / f"mnist_{seconds}").mkdir()
        write_config(config, str(shipped / f"mnist_{seconds}"))
        reference.record(f"mnist_{seconds}", config, {0: {"n": 100, **ENTRY["seeds"]["0"]}})
    monkeypatch.setenv("GAN_TUTORIAL_SMOKE", "100")
    for seconds in (900, 300):
        smoke = dataclasses.replace(full[seconds], max_seconds=seconds / 100, limit=600)
        assert reference.run_for(smoke) == str(shipped / f"mnist_{seconds}")
    with pytest.raises(ValueError, match="width=16"):
        reference.run_for(dataclasses.replace(full[300], max_seconds=3.0, width=16))
    monkeypatch.setenv("GAN_TUTORIAL_SMOKE", "1")  # a full run: the budget is a setting like any other
    assert reference.run_for(full[900]) == str(shipped / "mnist_900")
    with pytest.raises(ValueError, match=r"max_seconds=9.0 \(the reference: 300"):
        reference.run_for(dataclasses.replace(full[300], max_seconds=9.0))


@pytest.mark.slow
def test_a_reference_run_is_not_trained_into_and_its_record_reads_as_a_trained_runs(tiny_run, shipped):
    # A notebook that loads a reference shows its step, epoch and seconds as train returned them for a run it trained;
    # training into the package's reference folder would overwrite what the package ships.
    target = reference.export(tiny_run, "tiny")
    config = training.load_config(tiny_run)
    with pytest.raises(ValueError, match="is a reference run that the package ships, for loading, not training"):
        training.train(config, target)
    assert not os.path.exists(os.path.join(target, "train.lock"))
    trained = training.train(config, tiny_run, verbose=False)  # finished: returns its figures without training
    for run in (tiny_run, target):
        record = training.run_record(run)
        assert (record.step, record.epoch) == (trained.step, trained.epoch) and record.step > 0
        assert abs(record.seconds - trained.seconds) < 1.0
    with pytest.raises(ValueError, match="has no training log"):
        training.run_record(str(shipped))


@pytest.mark.slow
def test_train_or_load_loads_the_shipped_reference_or_says_why_not_and_trains(tiny_run, shipped, tmp_path, capsys):
    # Fails if use_reference trained anyway (a new folder would hold a run), if a run of settings no reference has
    # were refused instead of trained, or if training were chosen without the line that says why.
    target = reference.export(tiny_run, "tiny")
    config = training.load_config(tiny_run)
    reference.record("tiny", config, {0: {"n": 100, **ENTRY["seeds"]["0"]}})
    fresh = str(tmp_path / "fresh")
    loaded = training.train_or_load(config, fresh, use_reference=True, verbose=False)
    assert loaded == training.run_record(target) and not os.path.exists(fresh)
    assert capsys.readouterr().out == ""
    other = dataclasses.replace(config, width=4)
    trained = training.train_or_load(other, fresh, use_reference=True, verbose=False)
    assert trained.run_dir == fresh and trained.step > 0
    assert capsys.readouterr().out.startswith("No reference run to load: the reference run 'tiny' was trained with "
                                              "other settings: width=4 (the reference: 8)")
    assert training.train_or_load(other, fresh, verbose=False) == trained  # finished: read, not trained again


def test_a_reference_keeps_the_first_and_last_sample_grids_and_evenly_spaced_ones_between():
    grids = [f"epoch_{epoch:04d}.png" for epoch in range(11)]
    assert reference.kept_grids(grids) == [grids[0], grids[2], grids[5], grids[8], grids[10]]
    assert reference.kept_grids(grids[:4]) == grids[:4]


def test_a_long_log_is_kept_at_every_kth_step_and_its_last(monkeypatch):
    # By hand: 10 rows, at most 4 kept -> every ceil(10 / 3) = 4th row: steps 4 and 8, then the last, step 10. Fails
    # if the last row (the one run_record reads) were dropped or the first rows kept in its place.
    monkeypatch.setattr(reference, "KEPT_LOG_ROWS", 4)
    rows = [f"{step},1,{step}.0\n" for step in range(1, 11)]
    assert reference.kept_log_rows(rows) == [rows[3], rows[7], rows[9]]
    assert reference.kept_log_rows(rows[:4]) == rows[:4]


def test_verdict_places_each_figure_against_the_seeds_range_with_its_better_direction():
    # A higher confident share and a lower FID are better: a verdict that read both the same way fails here.
    report = {"n": 1000, "confident_share": 0.83, "fid": 15.0, "classes_covered": 9, "settings": {"features": "domain"}}
    places = reference.verdict(report, ENTRY)
    assert places == {"confident_share": {"value": 0.83, "range": [0.80, 0.85], "place": "within"},
                      "fid": {"value": 15.0, "range": [20.0, 25.0], "place": "better"},
                      "classes_covered": {"value": 9, "range": [10, 10], "place": "worse"}}
    assert reference.verdict({**report, "confident_share": 0.9, "fid": 30.0}, ENTRY)["fid"]["place"] == "worse"
    assert reference.verdict({**report, "confident_share": 0.9}, ENTRY)["confident_share"]["place"] == "better"
    line = reference.describe_verdict("mnist", places, 3)
    assert line.startswith("Against the reference run 'mnist' (3 seeds, the same settings): confident share 83.0%: "
                           "within (80.0% to 85.0%); domain FID 15: better (20 to 25); classes 9: worse (10 to 10).")
    assert "notebook 09" in line and "steps" not in line
    assert "This run trained 5,000 steps, the reference's seeds 10,000 to 11,000" in reference.describe_verdict(
        "mnist", places, 3, 5000, [10000, 11000])
    assert "steps" not in reference.describe_verdict("mnist", places, 3, 10500, [10000, 11000])
    assert reference.verdict({**report, "n": 500}, ENTRY) is None, "FID depends on the number of samples"
    assert reference.verdict({**report, "settings": {"features": "inception (2048 per image)"}}, ENTRY) is None


def test_a_translation_report_is_placed_and_summed_up_on_its_cycle_error_and_target_share(shipped):
    # A lower cycle error and a higher share read as the target class are better; the translation figures get a
    # table of their own. By hand: cycle errors 18, 20, 19 -> 19 ± 1; shares 0.30, 0.36, 0.33 -> 33 ± 3%. Fails for
    # a verdict that read the cycle error as "higher is better", or a summary that put a CycleGAN among the samples.
    reports = {seed: {"n": 2000, "a2b": {}, "b2a": {}, "cycle_mae": mae, "translated_to_target": share}
               for seed, mae, share in ((0, 18.0, 0.30), (1, 20.0, 0.36), (2, 19.0, 0.33))}
    config = TrainConfig(model="cyclegan", dataset="cifar10:horse", dataset_b="cifar10:deer", image_shape=(32, 32, 3))
    reference.record("cycle", config, reports, steps={0: 5, 1: 6, 2: 7})
    entry = reference.load_expected()["cycle"]
    assert entry["seeds"]["1"] == {"cycle_mae": 20.0, "translated_to_target": 0.36, "steps": 6}
    places = reference.verdict({"n": 2000, "cycle_mae": 17.0, "translated_to_target": 0.2}, entry)
    assert places == {"cycle_mae": {"value": 17.0, "range": [18.0, 20.0], "place": "better"},
                      "translated_to_target": {"value": 0.2, "range": [0.30, 0.36], "place": "worse"}}
    assert "cycle error 17: better (18 to 20); translations read as the target class 20.0%: worse (30.0% to 36.0%)" \
        in reference.describe_verdict("cycle", places, 3)
    reference.record("mnist", TrainConfig.for_dataset("mnist"), {0: {"n": 1000, **ENTRY["seeds"]["0"]}}, steps={0: 5})
    tables = reference.summary().split("\n\n")
    assert tables[0].splitlines()[2].startswith("| mnist | 1 | 5 | 80% |") and len(tables[0].splitlines()) == 3
    assert tables[1].splitlines() == [
        "| reference | seeds | steps | cycle error (of 255) | translations read as the target class |",
        "| --- | --- | --- | --- | --- |", "| cycle | 3 | 5-7 | 19 ± 1 | 33 ± 3% |"]
    assert reference.summary(only=["mnist"]) == tables[0]  # the table of the names asked for, without the others


def test_record_keeps_the_settings_that_a_run_must_share_to_be_compared(shipped):
    config = TrainConfig.for_dataset("mnist", seed=0)
    reports = {seed: {"n": 1000, **ENTRY["seeds"][str(seed)], "kid": {}} for seed in (0, 1, 2)}
    reference.record("mnist", config, reports, steps={0: 5, 1: 6, 2: 7}, machine="2-core CPU",
                     data="MNIST, 60,000 training digits")
    saved = json.loads((shipped / reference.EXPECTED).read_text())["mnist"]
    assert saved["seeds"] == {seed: {**scores, "steps": 5 + int(seed)} for seed, scores in ENTRY["seeds"].items()}
    assert saved["n"] == 1000 and saved["machine"] == "2-core CPU"
    assert saved["settings"]["max_seconds"] == config.max_seconds == 300
    assert reference.expected_for(TrainConfig.for_dataset("mnist", seed=2))[0] == "mnist"  # seeds do not matter
    assert reference.expected_for(TrainConfig.for_dataset("mnist", max_seconds=900)) is None
    assert reference.expected_for(TrainConfig.for_dataset("mnist", ema=0.0)) is None  # nor a stabilizer less
    assert reference.expected_for(TrainConfig.for_dataset("cifar10")) is None
    # A folder is named by its own name: the notebook's horses match wherever the folder is kept, other pictures not.
    horses = TrainConfig.for_dataset("folder:/home/ana/course/runs/07_horses", image_size=64, max_seconds=600)
    reference.record("horses", horses, {0: reports[0]})
    assert reference.expected_for(dataclasses.replace(horses, dataset="folder:runs/07_horses/"))[0] == "horses"
    assert reference.expected_for(dataclasses.replace(horses, dataset="folder:runs/cats")) is None
    with pytest.raises(ValueError, match="different numbers of samples"):
        reference.record("mnist", config, {0: {**reports[0], "n": 10}, 1: reports[1]})


def test_record_keeps_kid_class_shares_and_label_agreement_and_the_summary_gives_mean_and_spread(shipped, capsys):
    # By hand: confident 0.80, 0.82, 0.85 -> 82.3 ± 2.52% (the population std, n in the denominator, gives 2.05);
    # FID 20, 22, 25 -> 22.3 ± 2.52; KID 0.010, 0.012, 0.020 -> 0.014 ± 0.00529; class shares 7.0% to 13.0%.
    kids, ranges = (0.010, 0.012, 0.020), ([0.08, 0.12], [0.07, 0.11], [0.09, 0.13])
    reports = {seed: {"n": 1000, **ENTRY["seeds"][str(seed)], "kid": {"mean": kid, "std": 0.001},
                      "class_share_range": shares, "inception_score": {"mean": 9.0}}
               for seed, kid, shares in zip((0, 1, 2), kids, ranges)}
    reports[1]["label_agreement"] = {"agreement": 0.9}
    reference.record("mnist", TrainConfig.for_dataset("mnist"), reports, steps={0: 5, 1: 6, 2: 9})
    seeds = reference.load_expected()["mnist"]["seeds"]
    assert seeds["0"] == {**ENTRY["seeds"]["0"], "kid": 0.010, "class_share_range": [0.08, 0.12], "steps": 5}
    assert seeds["1"]["label_agreement"] == 0.9 and "label_agreement" not in seeds["0"]
    table = reference.summary().splitlines()
    assert table[0].startswith("| reference | seeds | steps | confident > 0.9 | classes |")
    assert table[2] == "| mnist | 3 | 5-9 | 82.3 ± 2.52% | 10 ± 0 | 7.0-13.0% | 22.3 ± 2.52 | 0.014 ± 0.00529 | n/a |"
    reference.main(["--summary"])
    assert capsys.readouterr().out.splitlines() == table
    with pytest.raises(SystemExit):
        reference.main(["mnist", "run0"])  # no --data
    assert "give NAME, at least one RUN and --data" in capsys.readouterr().err


@pytest.mark.slow
def test_evaluate_places_a_run_of_a_references_settings_and_writes_nothing_into_a_reference(tiny_run, shipped,
                                                                                           capsys):
    config = training.load_config(tiny_run)
    reference.record("tiny", config, {seed: {"n": 200, **ENTRY["seeds"][str(seed)]} for seed in (0, 1, 2)},
                     steps={0: 400, 1: 400, 2: 420})
    code = cli.main(["evaluate", tiny_run, "--dataset", "mnist", "--n", "200"])
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert code == 0 and report["expected"]["reference"] == "tiny" and report["expected"]["seeds"] == 3
    assert report["expected"]["fid"]["value"] == report["fid"] and report["expected"]["fid"]["place"] == "worse"
    assert report["expected"]["steps"] == 4 and report["expected"]["reference_steps"] == [400, 420]
    assert evaluation.describe_expected(report) in captured.err and "This run trained 4 steps" in captured.err
    target = reference.export(tiny_run, "tiny")
    shipped_report = os.path.join(target, evaluation.EVALUATION_FILE)
    with open(shipped_report) as file:  # the run's own report of 200 samples, kept with the run
        before = file.read()
    assert json.loads(before)["n"] == 200
    assert cli.main(["evaluate", target, "--dataset", "mnist", "--n", "100"]) == 0
    with open(shipped_report) as file:
        assert file.read() == before, "the package's files stay as shipped"


@pytest.mark.parametrize("name", reference.names())
def test_every_shipped_reference_loads_and_scores_as_its_seeds_did(name, tmp_path):
    # Fails for a reference whose checkpoint this Keras cannot read into the network (a generator left at its random
    # start draws nothing the classifier reads with confidence; a random translator's round trip is far off) or whose
    # scores in expected.json are not its own. 500 samples (or pictures per domain; the seeds scored 10,000, or every
    # test picture): a share's sampling error is then about 2 points, so the seeds' range is widened by 6; FID is
    # left out (biased upwards at 500 samples), and the mean cycle error, an average over pixels of 500 pictures,
    # gets a tenth.
    entry = reference.load_expected()[name]
    seeds = list(entry["seeds"].values())
    run_dir = reference.run_dir(name)
    config = training.load_config(run_dir)
    if data.is_folder(config.dataset):  # the folder is not shipped: a copy of the run reads the CIFAR-10 horses it was
        run_dir = str(tmp_path / "run")  # made from (notebook 07), written again
        shutil.copytree(reference.run_dir(name), run_dir)
        folder = str(tmp_path / os.path.basename(os.path.normpath(config.dataset[len(data.FOLDER_PREFIX):])))
        data.write_class_folder("cifar10", "horse", folder)
        os.remove(os.path.join(run_dir, "config.json"))  # (write_config keeps a run from changing its dataset)
        write_config(dataclasses.replace(config, dataset=data.FOLDER_PREFIX + folder), run_dir)
    report = evaluation.evaluation_report(run_dir, config.dataset, n=500)
    # A class counts as covered from 1% of the samples. One whose share is within three standard errors of that line at
    # 500 samples (below 1% + 3 * sqrt(0.01 * 0.99 / 500) = 2.3%) may fall under it: one class fewer is then allowed
    # (the smallest share is the one the seeds record; stylegan_3600's is 1.2%, its next 4.7%).
    near_the_line = int(any(seed.get("class_share_range", [1.0])[0] < 0.023 for seed in seeds))
    widened = {"confident_share": lambda low, high: (low - 0.06, high + 0.06),
               "translated_to_target": lambda low, high: (low - 0.06, high + 0.06),
               "label_agreement": lambda low, high: (low - 0.06, high + 0.06),
               "cycle_mae": lambda low, high: (0.9 * low, 1.1 * high),
               "classes_covered": lambda low, high: (low - near_the_line, 10)}
    value_of = {"label_agreement": lambda report: report["label_agreement"]["agreement"]}
    checked = [metric for metric in widened if all(metric in seed for seed in seeds)]
    assert checked, f"{name} has no figure to check"
    for metric in checked:
        low, high = widened[metric](min(seed[metric] for seed in seeds), max(seed[metric] for seed in seeds))
        value = value_of.get(metric, lambda report: report[metric])(report)
        assert low <= value <= high, (metric, value, [seed[metric] for seed in seeds])
    assert entry["shipped_seed"] == config.seed


@pytest.mark.slow
def test_the_shipping_command_exports_the_first_run_and_records_every_seed(tiny_run, shipped, tmp_path, capsys):
    config = training.load_config(tiny_run)
    other_seed, other_width = str(tmp_path / "seed1"), str(tmp_path / "width4")
    training.train(dataclasses.replace(config, seed=1), other_seed, verbose=False)
    for run in (tiny_run, other_seed):
        assert cli.main(["evaluate", run, "--dataset", "mnist", "--n", "100"]) == 0
    os.makedirs(other_width)
    write_config(dataclasses.replace(config, width=4), other_width)  # refused on its settings, before its scores
    reference.main(["tiny", tiny_run, other_seed, "--data", "128 MNIST digits", "--machine", "a CPU, 1 thread"])
    entry = reference.load_expected()["tiny"]
    assert entry["machine"] == "a CPU, 1 thread"
    assert sorted(entry["seeds"]) == ["0", "1"] and entry["shipped_seed"] == 0 and entry["data"] == "128 MNIST digits"
    assert entry["seeds"]["1"]["steps"] == 4 and entry["n"] == 100
    assert "shipped" in capsys.readouterr().out and reference.names() == ["tiny"]
    with pytest.raises(ValueError, match="other settings"):
        reference.main(["tiny", tiny_run, other_width, "--data", "128 MNIST digits"])
    reference.main(["tiny_scores", tiny_run, other_seed, "--data", "128 MNIST digits", "--scores-only"])
    assert "shipped" not in capsys.readouterr().out and reference.names() == ["tiny"]  # recorded, not shipped
    entry = reference.load_expected()["tiny_scores"]
    assert sorted(entry["seeds"]) == ["0", "1"] and "shipped_seed" not in entry


NOTEBOOKS = pathlib.Path(__file__).resolve().parents[1] / "notebooks"
LOAD_PATHS = {"10_conditional_gan.ipynb": ["conditional_mnist", "conditional_cifar10"],
              "11_cyclegan.ipynb": ["cyclegan"], "12_stylegan.ipynb": ["stylegan_3600", "mnist_3600"]}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(LOAD_PATHS))
def test_a_notebooks_load_path_runs_end_to_end_on_the_shipped_reference(name):
    # The committed notebooks train (USE_REFERENCE = False: nbval runs that path at the smoke scale); this runs the path
    # a student on a slow machine takes, at the same scale. Fails if the shipped reference does not match the
    # notebook's settings, if a later cell still reads what only training gives (a TrainResult's networks), or if the
    # notebook trained anyway (its prints would show the smoke run's few steps, not the reference's).
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    (cell,) = [cell for cell in notebook.cells if cell.cell_type == "code" and "USE_REFERENCE = False" in cell.source]
    cell.source = cell.source.replace("USE_REFERENCE = False", "USE_REFERENCE = True", 1)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute(stderr=subprocess.DEVNULL)  # a failing cell raises CellExecutionError, with its traceback
    printed = "".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for output in cell.outputs)
    for loaded in LOAD_PATHS[name]:
        step = training.run_record(reference.run_dir(loaded)).step
        assert re.search(rf"(?<![\d,]){step}(?![\d,])", printed), (loaded, step)
