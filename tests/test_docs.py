"""The Markdown pages link to what exists: the README, the guides beside the notebooks, and the notebooks' text cells."""

import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "notebooks").glob("*.md"))]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "notebooks" / "exercises").glob("*.ipynb"))
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def without_code(text):
    """The text without fenced code blocks and inline code, where '#' and '[...](...)' are not Markdown."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    text = re.sub(r"^(    .*\n)+", "", text, flags=re.M)  # indented code blocks
    return re.sub(r"`[^`\n]*`", "", text)


def markdown(path):
    """A page's text, or a notebook's Markdown cells joined."""
    if path.suffix != ".ipynb":
        return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")


def anchors(page):
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens, '-N' on repeats."""
    seen, result = {}, set()
    for heading in re.findall(r"^#{1,6} +(.+?) *#*$", without_code(markdown(page)), flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        result.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
        seen[slug] = seen.get(slug, 0) + 1
    return result


def relative_links(path):
    return [link for link in LINK.findall(without_code(markdown(path))) if not re.match(r"[a-z]+:", link)]


def check_links(path):
    for link in relative_links(path):
        target_path, _, anchor = link.partition("#")
        target = (path.parent / target_path).resolve() if target_path else path
        assert target.exists(), f"{path.name}: {link} names a missing file"
        if anchor:
            assert target.suffix in (".md", ".ipynb"), f"{path.name}: {link} points into a file without headings"
            assert anchor in anchors(target), f"{path.name}: {link} names no heading of {target.name}"


def test_the_guides_sit_beside_the_notebooks():
    assert {page.name for page in PAGES} >= {"README.md", "COMMAND_LINE.md", "MEASUREMENTS.md", "INSTRUCTORS.md",
                                             "DEVELOPERS.md"}


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_relative_link_of_a_page_resolves(page):
    assert relative_links(page), f"{page.name} links to nothing"
    check_links(page)


def test_every_relative_link_of_a_notebook_resolves():
    assert NOTEBOOKS
    for notebook in NOTEBOOKS:
        check_links(notebook)


def test_the_readme_links_every_guide():
    links = {link.partition("#")[0] for link in relative_links(ROOT / "README.md")}
    assert {f"notebooks/{page.name}" for page in PAGES[1:]} <= links


def test_the_checks_catch_broken_links(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# For instructors: exercises and grading\n## A compact StyleGAN2 (notebook 12)\n## Tests\n## Tests\n"
                    "```bash\n# on alpha: not a heading\n```\n[here](#tests-1) and [`code`](page.md#tests)\n")
    assert anchors(page) == {"for-instructors-exercises-and-grading", "a-compact-stylegan2-notebook-12", "tests", "tests-1"}
    check_links(page)
    for broken in ["[gone](missing.md)", "[gone](#on-alpha-not-a-heading)", "[gone](page.md#tests-2)"]:
        page.write_text(page.read_text() + broken + "\n")
        with pytest.raises(AssertionError, match="names"):
            check_links(page)
        page.write_text(page.read_text().replace(broken + "\n", ""))


def test_the_measurements_show_the_reference_runs_as_expected_json_holds_them():
    from gan_tutorial import reference

    assert reference.summary() in (ROOT / "notebooks" / "MEASUREMENTS.md").read_text(encoding="utf-8")


def test_the_measurements_show_the_stabilizers_table_as_the_package_ships_it():
    from gan_tutorial import stabilization

    assert stabilization.shipped_table() in (ROOT / "notebooks" / "MEASUREMENTS.md").read_text(encoding="utf-8")
