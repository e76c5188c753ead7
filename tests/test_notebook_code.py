"""The code a notebook shows is the library's code: one source of truth.

A code cell that starts with ``# From gan_tutorial/<module>.py`` may hold only
definitions (and imports); each function or class in it must be character for
character the one in that module. Edit the module, then paste the new version
into the notebook (the failure shows the diff).

Exercises: such a cell may also hold nbgrader's ``### BEGIN SOLUTION`` and
``### END SOLUTION`` lines around the part a student writes. They are comments, and the
comparison drops them (``without_solution_markers``), so the library stays the one
source of the code, the solutions included: the student notebooks in
notebooks/exercises/ are built from these cells with each marked region replaced by a
placeholder (gan_tutorial/assignments.py), and are not compared here.
"""

import ast
import difflib
import importlib
import inspect
import json
import pathlib
import re

import pytest

from gan_tutorial.assignments import without_solution_markers

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[1] / "notebooks"
MARKER = re.compile(r"^# From gan_tutorial/(\w+)\.py")
SHOWN = {
    "00_the_gan_game": {"optimal_discriminator", "mixture_density", "expected_log", "game_value", "jensen_shannon",
                        "snapshot", "train_game"},
    "01_data": {"to_model_range", "make_dataset"},
    "02_generator": {"generator_block", "build_generator", "grid"},
    "03_discriminator": {"discriminator_block", "build_discriminator", "discriminator_loss", "generator_loss"},
    "04_training_step": {"GAN"},
    "06_train_cifar10": {"resize_block", "output_layers"},
    "07_your_own_images": {"load_folder"},
    "08_evaluation": {"frechet_distance_from_statistics", "frechet_distance", "mmd_squared",
                      "kernel_inception_distance", "inception_score", "interpolate_noise"},
    "09_stabilizing_gans": {"ring_data", "modes_covered", "MinibatchStdDev", "MinibatchDiscrimination",
                            "stabilized_discriminator", "feature_matching_loss", "hinge_discriminator_loss",
                            "wasserstein_critic_loss", "gradient_penalty", "r1_penalty", "StabilizedGAN", "DiffAugment"},
    "10_conditional_gan": {"build_conditional_generator", "projection_logits", "ConditionalDiscriminator",
                           "ConditionalGAN", "build_conditional_gan"},
    "11_cyclegan": {"instance_norm", "residual_block", "build_translator", "build_patch_discriminator",
                    "least_squares_discriminator_loss", "least_squares_generator_loss", "cycle_consistency_loss",
                    "identity_loss", "ImagePool", "CycleGAN", "decay_factor"},
    "12_stylegan": {"modulated_conv2d", "ModulatedConv2D", "NoiseInjection", "mix_styles", "truncate", "StyleGenerator"},
}


def synced_cells():
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        for index, cell in enumerate(cells):
            source = without_solution_markers("".join(cell["source"]))
            match = MARKER.match(source)
            if cell["cell_type"] == "code" and match:
                yield pytest.param(path.stem, match.group(1), source, id=f"{path.stem}-cell{index}")


def definitions(source):
    tree = ast.parse(source)
    for node in tree.body:
        assert isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)), (
            f"a synced cell may hold only definitions and imports, found: {ast.get_source_segment(source, node)}")
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            yield node.name, ast.get_source_segment(source, node)


@pytest.mark.parametrize("notebook, module_name, source", list(synced_cells()))
def test_notebook_code_is_the_library_code(notebook, module_name, source):
    module = importlib.import_module(f"gan_tutorial.{module_name}")
    for name, shown in definitions(source):
        library = inspect.getsource(getattr(module, name)).rstrip("\n")
        diff = "\n".join(difflib.unified_diff(library.splitlines(), shown.splitlines(),
                                              f"gan_tutorial/{module_name}.py", f"{notebook}.ipynb", lineterm=""))
        assert shown == library, f"{notebook} shows a different {name}:\n{diff}"


@pytest.mark.parametrize("notebook, names", sorted(SHOWN.items()))
def test_notebooks_show_their_key_code(notebook, names):
    shown = {name for nb, _, source in (p.values for p in synced_cells()) if nb == notebook
             for name, _ in definitions(source)}
    assert names <= shown, f"{notebook} no longer shows {sorted(names - shown)}"
