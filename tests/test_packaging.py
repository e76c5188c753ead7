"""The project's set-up files agree with each other."""

import pathlib
import re
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def environment_pip_requirements():
    text = (ROOT / "environment.yml").read_text()
    pip_block = text.split("- pip:", 1)[1]
    return {m.group(1).strip() for m in re.finditer(r"^\s+-\s+(.+)$", pip_block, re.M)} - {"-e ."}


def test_environment_yml_names_the_same_dependencies_as_pyproject():
    project = pyproject()["project"]
    declared = set(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        declared |= set(extra)
    assert environment_pip_requirements() == declared


def test_environment_yml_installs_the_package_itself():
    assert re.search(r"^\s+- -e \.$", (ROOT / "environment.yml").read_text(), re.M)


def test_console_script_points_at_the_cli():
    assert pyproject()["project"]["scripts"] == {"gan-tutorial": "gan_tutorial.cli:main"}


def test_top_level_layout():
    for name in ["notebooks", "gan_tutorial", "tests", "environment.yml", "README.md", "LICENSE", ".ci/run"]:
        assert (ROOT / name).exists(), name
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
