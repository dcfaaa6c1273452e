"""Without inspect_ai, importing the task says which extra to install."""

import importlib
import sys

import pytest


def test_without_inspect_ai_the_import_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "inspect_ai", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "modgap.integrations.inspect_task", raising=False)
    with pytest.raises(ImportError, match=r"needs inspect_ai .*pip install 'modgap\[inspect\]'"):
        importlib.import_module("modgap.integrations.inspect_task")
