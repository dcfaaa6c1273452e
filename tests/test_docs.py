"""The docs stay true to the code: docs/cli.md is what the CLI generates; the README is short."""

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _cli_docs():
    spec = importlib.util.spec_from_file_location("cli_docs", ROOT / "scripts" / "cli_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_is_current():
    cli_docs = _cli_docs()
    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert cli_docs.render() == current, f"docs/cli.md is out of date: run `{cli_docs.COMMAND}`"


def test_cli_reference_does_not_depend_on_the_terminal_width(monkeypatch):
    cli_docs = _cli_docs()
    monkeypatch.setenv("COLUMNS", "40")
    narrow = cli_docs.render()
    monkeypatch.setenv("COLUMNS", "200")
    assert cli_docs.render() == narrow


def test_readme_is_short_and_its_docs_links_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200, "README.md is over 200 lines: move the detail into docs/"
    links = re.findall(r"\]\((docs/[^)#\s]*)", readme)
    assert links, "README.md links no docs/ page"
    missing = [link for link in links if not (ROOT / link).exists()]
    assert not missing, f"README.md links missing files: {missing}"


def test_docs_relative_links_exist():
    missing = []
    for page in (ROOT / "docs").rglob("*.md"):
        for link in re.findall(r"\]\(([^)#\s]+)", page.read_text(encoding="utf-8")):
            if "://" not in link and not (page.parent / link).exists():
                missing.append(f"{page.relative_to(ROOT)} -> {link}")
    assert not missing, f"broken links in docs/: {missing}"
