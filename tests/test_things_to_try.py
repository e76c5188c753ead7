"""Every "Things to try" suggestion of the notebooks works as written (issue 22).

The suggestions are read from the notebooks' markdown, from a cell's "Things to try" on, so that a new one is
checked without a change here. What is in backticks:

* ``gan-tutorial ...`` commands: each parses, and each notebook's commands run in turn, through ``cli.main``, at
  smoke scale (1 s of training, 48 images, batch 8, width 4, eager; the first 2,000 images of a dataset) in a fresh
  folder, as a terminal in the notebook's folder would (a run that a command reads and no earlier command wrote is
  trained first, tiny; a ``folder:PATH`` that does not exist gets 48 CIFAR-10 horses);
* option fragments (``--class-batchnorm``): each is an option of a command;
* settings (``label_smoothing=0.1``, ``TrainConfig(model="stylegan", style_mixing=0.0)``): each makes a TrainConfig
  when it names its settings (``image_size=64`` or ``shuffle=False`` are other functions' arguments).
"""

import ast
import json
import os
import pathlib
import re
import shlex

import pytest

from gan_tutorial import cli, data
from gan_tutorial.config import SECTION_OF, TrainConfig

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[1] / "notebooks"
HEADING = "Things to try"
SMOKE = ["--max-seconds", "1", "--limit", "48", "--batch-size", "8", "--width", "4", "--compile", "eager"]
DROPPED = {"--epochs", "--max-seconds", "--limit", "--batch-size", "--width", "--compile"}  # SMOKE sets them
READS_A_RUN = {"sample", "evaluate", "translate"}
RAW_IMAGES = (2000, 500)  # training and test images of each dataset the commands see: enough of every class
_RAW = {}


def suggestions():
    """{notebook name: the code spans of its "Things to try" sections, in order, whitespace collapsed}."""
    found = {}
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            text = "".join(cell["source"])
            if cell["cell_type"] == "markdown" and HEADING in text:
                section = text[text.index(HEADING):]
                spans = [" ".join(span.split()) for span in re.findall(r"`([^`]+)`", section)]
                found.setdefault(path.stem, []).extend(spans)
    return found


SUGGESTIONS = suggestions()
COMMANDS = {name: [shlex.split(span)[1:] for span in spans if span.startswith("gan-tutorial ")]
            for name, spans in SUGGESTIONS.items()}
COMMANDS = {name: commands for name, commands in COMMANDS.items() if commands}
FRAGMENTS = sorted({span for spans in SUGGESTIONS.values() for span in spans
                    if span.startswith("--") and span != "--help"})
SETTINGS = sorted({span for spans in SUGGESTIONS.values() for span in spans
                   if span.startswith("TrainConfig(") or re.fullmatch(r"(\w+)=(.+)", span)
                   and span.split("=")[0] in SECTION_OF})


def test_the_notebooks_suggest_commands_fragments_and_settings():
    assert len(SUGGESTIONS) >= 10  # notebooks 01 to 12 but 00
    assert {"05_train_mnist", "09_stabilizing_gans", "10_conditional_gan", "11_cyclegan",
            "12_stylegan"} <= set(COMMANDS)
    assert "--conditional --class-batchnorm" in FRAGMENTS and "label_smoothing=0.1" in SETTINGS


@pytest.mark.parametrize("argv", [argv for commands in COMMANDS.values() for argv in commands], ids=" ".join)
def test_every_command_parses(argv):
    cli.build_parser().parse_args(argv)  # an unknown option or a bad value exits


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_every_option_is_an_option_of_a_command(fragment, capsys):
    options = shlex.split(fragment)
    parser = cli.build_parser()
    for command in (["train", "--out", "run"], ["evaluate", "run"], ["sample", "run", "--out", "x.npz"],
                    ["translate", "run", "x.png", "--out", "y.png"], ["bench"]):
        try:
            parser.parse_args([*command, *options])
            return
        except SystemExit:
            capsys.readouterr()
    pytest.fail(f"no command of gan-tutorial takes {fragment}")


@pytest.mark.parametrize("setting", SETTINGS)
def test_every_setting_makes_a_train_config(setting):
    if setting.startswith("TrainConfig("):
        config = eval(setting, {"TrainConfig": TrainConfig})
    else:
        name, value = setting.split("=", 1)
        config = TrainConfig(**{name: ast.literal_eval(value)})
    assert isinstance(config, TrainConfig)


def smoke(argv):
    """A train command at smoke scale: SMOKE's settings instead of the budget and sizes written."""
    if argv[0] != "train":
        return argv
    kept, args = [], iter(argv)
    for arg in args:
        if arg in DROPPED:
            next(args)  # and its value
        else:
            kept.append(arg)
    return [*kept, *SMOKE]


def first_images(load_raw):
    """``data.load_raw`` of the first ``RAW_IMAGES`` of each split, read once: CIFAR-10 in full takes seconds to
    read and convert every time a CycleGAN reads a domain."""
    def load(name, data_dir=None):
        if name not in _RAW:
            splits = load_raw(name, data_dir)
            _RAW[name] = tuple((x[:n].copy(), y[:n].copy()) for (x, y), n in zip(splits, RAW_IMAGES))
        return _RAW[name]

    return load


def read_run(command):
    """The run folder a parsed command reads (``evaluate`` names it ``source``), or None."""
    return getattr(command, "run_dir", None) or getattr(command, "source", None)


def prepare(argv):
    """What a command reads and no earlier command wrote: a tiny MNIST run, a folder of horses."""
    command = cli.build_parser().parse_args(argv)
    run_dir = read_run(command)
    if argv[0] in READS_A_RUN and not os.path.exists(os.path.join(run_dir, "config.json")):
        assert cli.main(smoke(["train", "--dataset", "mnist", "--out", run_dir])) == 0
    dataset = getattr(command, "dataset", None) or ""
    if data.is_folder(dataset) and not os.path.exists(dataset[len(data.FOLDER_PREFIX):]):
        data.write_class_folder("cifar10", "horse", dataset[len(data.FOLDER_PREFIX):], limit=48)


@pytest.mark.slow
@pytest.mark.parametrize("notebook", sorted(COMMANDS))
def test_the_commands_run(notebook, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(data, "load_raw", first_images(data.load_raw))
    for argv in COMMANDS[notebook]:
        prepare(argv)
        assert cli.main(smoke(argv)) == 0, (argv, capsys.readouterr().err)
        command = cli.build_parser().parse_args(argv)
        # what it writes: its --out, or (evaluate) the report it keeps in the run
        out = getattr(command, "out", None) or os.path.join(read_run(command), "evaluation.json")
        assert os.path.exists(out), argv
