"""The project's set-up files agree with each other."""

import fnmatch
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


def glob_matches(path, pattern):
    """Whether a relative path matches a package-data glob, whose ``*`` stays within one folder (as setuptools')."""
    parts, pattern_parts = path.split("/"), pattern.split("/")
    return len(parts) == len(pattern_parts) and all(map(fnmatch.fnmatchcase, parts, pattern_parts))


def test_every_shipped_file_is_package_data():
    # Fails for a file that an installed (not editable) package would lack: a reference run's log or sample grid
    # that no pattern names, or a classifier's weights.
    patterns = pyproject()["tool"]["setuptools"]["package-data"]["gan_tutorial"]
    package = ROOT / "gan_tutorial"
    for folder in ("reference", "weights"):
        for path in (package / folder).rglob("*"):
            if path.is_file() and not path.name.endswith(".lock"):
                relative = path.relative_to(package).as_posix()
                assert any(glob_matches(relative, pattern) for pattern in patterns), relative
