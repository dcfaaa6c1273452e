"""The IsoBench task abstraction: sample an instance, solve it independently, render it every way.

A task is data, not prompting: :class:`Task` knows how to make a problem (``sample``), how to get
its answer from the public structured fields alone (``solve`` — never from the generator's
internals), how to show it (``render`` for each text representation and for the ``image``), and
how to score an answer (``score``). Prompts and model calls live elsewhere.

Determinism: every instance draws from its own ``random.Random`` seeded by the caller (see
:func:`modgap.isobench.suite.generate`); tasks never touch global random state.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, TypeVar

from PIL import Image

from modgap.images import png_bytes

__all__ = [
    "AUDIO",
    "IMAGE",
    "MEDIA",
    "TEXT_IMAGE",
    "VIDEO",
    "Instance",
    "Task",
    "TaskConfig",
    "TaskRegistry",
    "TASKS",
    "Undecidable",
    "register_task",
    "create_task",
    "solve",
    "png_bytes",
]

IMAGE = "image"
"""The name of the image representation every task has."""
TEXT_IMAGE, AUDIO, VIDEO = "text_image", "audio", "video"
"""Representations derived from a task's first text form: typeset into a PNG, spoken, shown as a video."""
MEDIA = (IMAGE, TEXT_IMAGE, AUDIO, VIDEO)
"""Every non-text representation, in the order reports show them."""


class Undecidable(ValueError):
    """The fields do not determine the answer (a game that ended by resignation, a function that is
    both convex and concave, an expression no method here can split): not a bug, and not an answer."""


@dataclass(frozen=True)
class Instance:
    """One problem: JSON-serialisable public ``fields``, the verified ``answer`` and the ``choices``.

    ``fields`` are exactly what :meth:`Task.solve` needs (the issue's per-task field names), plus
    anything the renderers need; ``meta`` holds generator details (difficulty knobs, hints) that no
    solver may read.
    """

    task: str
    fields: dict[str, Any]
    answer: str
    choices: list[str]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """Stable content hash of task + fields (12 hex chars)."""
        blob = json.dumps([self.task, self.fields], sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:12]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, **asdict(self)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Instance:
        missing = {"task", "fields", "answer", "choices"} - set(d)
        if missing:
            raise ValueError(f"instance record is missing {sorted(missing)}: {str(d)[:200]}")
        return cls(
            task=d["task"],
            fields=d["fields"],
            answer=d["answer"],
            choices=list(d["choices"]),
            meta=d.get("meta", {}),
        )


@dataclass(frozen=True)
class TaskConfig:
    """Base of every task's difficulty knobs; subclasses validate in ``__post_init__`` (ValueError)."""


C = TypeVar("C", bound=TaskConfig)


class Task(ABC):
    """One IsoBench task. Subclasses set the class attributes and implement the four methods."""

    name: ClassVar[str]
    domain: ClassVar[str]  # "math" | "graph" | "chess" | "science"
    text_representations: ClassVar[tuple[str, ...]]
    """Names of the text forms, e.g. ``("latex", "code")``; the image is always ``IMAGE``."""
    config_class: ClassVar[type[TaskConfig]] = TaskConfig

    def __init__(self, config: TaskConfig | None = None, **overrides: Any):
        if config is None:
            config = self.config_class(**overrides)
        elif overrides:
            raise TypeError("pass either a config or keyword overrides, not both")
        if not isinstance(config, self.config_class):
            raise TypeError(f"{self.name} needs a {self.config_class.__name__}, got {type(config).__name__}")
        self.config = config

    @property
    def representations(self) -> tuple[str, ...]:
        return (*self.text_representations, IMAGE)

    @property
    def classes(self) -> list[str]:
        """Answer classes that a suite balances over (``sample`` is asked for each in turn)."""
        raise NotImplementedError

    @abstractmethod
    def sample(self, rng: random.Random, target: str) -> Instance:
        """A fresh instance whose answer class is ``target`` (one of :attr:`classes`)."""

    @staticmethod
    @abstractmethod
    def solve(fields: dict[str, Any]) -> str:
        """The answer from the public fields alone, by an independent method (networkx, sympy, …).

        Raises :class:`Undecidable` (a ValueError) when the fields do not determine one answer.
        """

    @abstractmethod
    def render_text(self, instance: Instance, representation: str) -> str:
        """One text representation of the problem (no question, no answer choices: those are prompts')."""

    @abstractmethod
    def render_image(self, instance: Instance) -> Image.Image:
        """The image representation."""

    def answer_class(self, instance: Instance) -> str:
        """Which of :attr:`classes` the instance belongs to (default: its answer)."""
        return instance.answer

    def dedup_key(self, instance: Instance) -> str:
        """Two instances with the same key are duplicates (override for up-to-isomorphism checks)."""
        return instance.id

    def render(self, instance: Instance, representation: str) -> str | Image.Image:
        if representation == IMAGE:
            return self.render_image(instance)
        if representation not in self.text_representations:
            raise ValueError(
                f"{self.name} has no representation {representation!r}; "
                f"choose from {', '.join(self.representations)}"
            )
        return self.render_text(instance, representation)

    def score(self, prediction: str | None, instance: Instance) -> float:
        """1.0 for the right answer (case and surrounding space ignored), else 0.0."""
        if prediction is None:
            return 0.0
        return float(prediction.strip().lower() == instance.answer.strip().lower())


class TaskRegistry(Mapping[str, "type[Task]"]):
    """Task name → class. The built-in tasks (:mod:`modgap.isobench.tasks`, which import sympy,
    networkx, python-chess and rdkit) register on the first look-up, not when the package is imported."""

    def __init__(self, builtin: str) -> None:
        self._tasks: dict[str, type[Task]] = {}
        self._builtin: str | None = builtin

    def _all(self) -> dict[str, type[Task]]:
        if self._builtin is not None:
            builtin, self._builtin = self._builtin, None
            importlib.import_module(builtin)
        return self._tasks

    def __getitem__(self, name: str) -> type[Task]:
        return self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def add(self, name: str, cls: type[Task]) -> None:
        if name in self._tasks:
            raise ValueError(f"task {name!r} is already registered")
        self._tasks[name] = cls


TASKS = TaskRegistry("modgap.isobench.tasks")


def register_task(name: str) -> Callable[[type[Task]], type[Task]]:
    def deco(cls: type[Task]) -> type[Task]:
        TASKS.add(name, cls)
        cls.name = name
        return cls

    return deco


def create_task(name: str, **config: Any) -> Task:
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; choose from {', '.join(sorted(TASKS))}")
    return TASKS[name](**config)


def solve(task_name: str, fields: dict[str, Any]) -> str:
    """Answer an instance of ``task_name`` from its structured fields (usable on any source's instances)."""
    if task_name not in TASKS:
        raise ValueError(f"unknown task {task_name!r}; choose from {', '.join(sorted(TASKS))}")
    return TASKS[task_name].solve(fields)
