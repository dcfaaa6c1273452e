"""Importing the CLI or an area's package loads no heavy framework: names resolve on first use."""

import subprocess
import sys

import pytest

HEAVY = ("torch", "transformers", "fastapi", "rdkit", "peft", "datasets")


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.parametrize(
    "package",
    ["modgap.isobench", "modgap.world", "modgap.models", "modgap.fone", "modgap.steer", "modgap.tldr"],
)
def test_importing_an_area_loads_no_heavy_framework(package):
    assert _loaded_after(f"import {package}") == set()


def test_the_cli_app_imports_without_torch_or_transformers():
    assert _loaded_after("import modgap.cli") <= {"fastapi"}  # serve's options only


def test_a_lazy_name_still_resolves_and_the_builtin_tasks_register_on_first_lookup():
    loaded = _loaded_after(
        "import modgap.isobench as ib; assert len(ib.TASKS) == 10 and callable(ib.parse_answer)"
    )
    assert "rdkit" in loaded  # chemistry registered: the look-up imported every built-in task
