"""The notebooks' first cell, which installs the package where it is missing (Colab), and nowhere else.

Every notebook (and every student notebook built from one) opens with the same code cell: when ``gan_tutorial`` cannot
be imported, it runs ``pip install`` on the repository named once in ``pyproject.toml`` (``[project.urls] Source``),
or on ``$GAN_TUTORIAL_SOURCE``, and prints one line; where the package is importable it does nothing.

After the address changes in ``pyproject.toml``, rewrite the cell in every notebook, then rebuild the student notebooks:

    python tests/test_colab.py && python -m gan_tutorial exercises build
"""

import json
import os
import pathlib
import re
import subprocess
import sys
import sysconfig
import tomllib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
STUDENT_NOTEBOOKS = sorted((ROOT / "notebooks" / "exercises").glob("*.ipynb"))
CELL_ID = "install-if-missing"
SOURCE_VARIABLE = "GAN_TUTORIAL_SOURCE"


def source_url():
    """The package's source repository: ``[project.urls] Source`` in ``pyproject.toml``, the one place it is named."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Source"]


def install_cell_source(url):
    """The first code cell of every notebook, for the repository at ``url``."""
    return f'''\
# On Colab, or wherever the gan_tutorial package is missing, this cell installs it; in a checkout it does nothing.
# To install from elsewhere, set {SOURCE_VARIABLE} first to a folder or a pip URL (%env {SOURCE_VARIABLE}=...).
import importlib.util, os, subprocess, sys

if importlib.util.find_spec("gan_tutorial") is None:
    source = os.environ.get("{SOURCE_VARIABLE}", "git+{url}")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", source], check=True)
    importlib.invalidate_caches()
    print(f"Installed the gan_tutorial package with pip from {{source}}")'''


def first_code_cell(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")


@pytest.mark.parametrize("path", NOTEBOOKS + STUDENT_NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT / "notebooks")))
def test_every_notebook_opens_with_the_same_install_cell(path):
    # Fails for a notebook without the cell, or with a cell edited by hand (all 14 notebooks and the student copies
    # hold the same text), or one that still runs something before it.
    cell = first_code_cell(path)
    assert "".join(cell["source"]) == install_cell_source(source_url()), (
        f"{path.name}: its first code cell is not the install cell; run `python tests/test_colab.py` "
        "and `python -m gan_tutorial exercises build`")
    assert cell["outputs"] == [], "in a checkout the cell prints nothing, so it has no committed output"


def test_the_cells_install_from_the_address_in_pyproject():
    # Fails when pyproject.toml's [project.urls] Source changes and the notebooks still name the old address.
    named = {re.search(r'"git\+([^"]+)"', "".join(first_code_cell(path)["source"])).group(1) for path in NOTEBOOKS}
    assert named == {source_url()}


def test_where_the_package_is_importable_the_cell_does_nothing(monkeypatch, capsys):
    # Fails if the cell ran pip (or printed) in a checkout: the committed outputs would no longer match.
    def no_pip(*args, **kwargs):
        raise AssertionError(f"the cell ran {args}")

    monkeypatch.setattr(subprocess, "run", no_pip)
    exec(install_cell_source(source_url()), {})
    assert capsys.readouterr() == ("", "")


def _python_without_the_package(folder):
    """A virtual environment in ``folder`` with every package of this one except gan_tutorial; its python.

    Its site-packages links to each entry of ours (TensorFlow included, so nothing is downloaded again), leaving
    out gan_tutorial's editable install and metadata, so that ``import gan_tutorial`` fails there.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    ours = {pathlib.Path(sysconfig.get_paths()[key]) for key in ("purelib", "platlib")}
    theirs = pathlib.Path(sysconfig.get_paths(vars={"base": str(folder), "platbase": str(folder)})["purelib"])
    for site in ours:
        for entry in site.iterdir():
            if "gan_tutorial" not in entry.name.replace("-", "_").lower() and not (theirs / entry.name).exists():
                (theirs / entry.name).symlink_to(entry)
    return folder / "bin" / "python"


def _has_setuptools_for_the_build():
    try:
        import setuptools
    except ImportError:
        return False
    return int(setuptools.__version__.split(".")[0]) >= 77  # pyproject.toml's build-system requires


@pytest.mark.slow
def test_the_cell_installs_the_package_where_it_is_missing_then_does_nothing(tmp_path):
    # Fails if the cell did not install the package (a wrong pip command, a package that does not build from a
    # clone), printed more than its one line (pip without --quiet), ignored GAN_TUTORIAL_SOURCE (pip then reaches for
    # the repository's address) or installed again on a second run (no find_spec check): each variant was tried; or if
    # the installed package lacks the shipped classifiers (no package-data in pyproject.toml).
    if not (ROOT / ".git").exists():
        pytest.skip("needs the repository's git history to clone")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    python = _python_without_the_package(tmp_path / "venv")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "PIP_"))}
    env |= {SOURCE_VARIABLE: f"git+file://{clone}", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    if _has_setuptools_for_the_build():  # build with ours: nothing to download; else pip fetches setuptools alone
        # "0" turns isolation off: pip stores the variable's value as the option's dest, build_isolation.
        env |= {"PIP_NO_BUILD_ISOLATION": "0", "PIP_NO_INDEX": "1"}
    cell = install_cell_source(source_url())

    def run(code):  # from tmp_path: no gan_tutorial in the current folder
        return subprocess.run([str(python), "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)

    missing = run("import importlib.util; print(importlib.util.find_spec('gan_tutorial'))")
    assert missing.stdout == "None\n", "the package must be missing before the cell runs"
    first = run(cell + "\nimport gan_tutorial\nprint(gan_tutorial.__file__)")  # in the same Python, as in a notebook
    assert first.returncode == 0, first.stderr
    *printed, origin = first.stdout.splitlines()
    assert printed == [f"Installed the gan_tutorial package with pip from git+file://{clone}"], first.stdout
    site = sysconfig.get_paths(vars={"base": str(tmp_path / "venv"), "platbase": str(tmp_path / "venv")})["purelib"]
    assert origin == str(pathlib.Path(site) / "gan_tutorial" / "__init__.py"), "imported from the installed copy"
    shipped = sorted(path.name for path in (pathlib.Path(site) / "gan_tutorial" / "weights").iterdir())
    assert shipped == sorted(path.name for path in (ROOT / "gan_tutorial" / "weights").iterdir()), "the package data"
    second = run(cell)
    assert (second.returncode, second.stdout) == (0, ""), second.stderr


def write_install_cells():
    """Put the install cell first among the code cells of every solution notebook (or refresh it there)."""
    cell = {"cell_type": "code", "execution_count": None, "id": CELL_ID, "metadata": {}, "outputs": [],
            "source": install_cell_source(source_url()).splitlines(keepends=True)}
    for path in NOTEBOOKS:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        cells = [c for c in notebook["cells"] if c.get("id") != CELL_ID]
        first_code = next(i for i, c in enumerate(cells) if c["cell_type"] == "code")
        notebook["cells"] = cells[:first_code] + [cell] + cells[first_code:]
        # The notebooks keep their keys in the order they have (not sorted), indented by one, as Jupyter writes.
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote the install cell into {path.relative_to(ROOT)}")


if __name__ == "__main__":
    write_install_cells()
