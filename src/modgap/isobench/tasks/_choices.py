"""What the multiple-choice tasks (chemistry, physics) share: lettered options balanced by position."""

from __future__ import annotations

from modgap.isobench.task import Instance, Task

LETTERS = "ABCDEF"


def check_choice_config(config: object, known: dict[str, str]) -> None:
    """Validate (and tuple-ise: JSON configs give lists) ``config.questions`` and ``config.n_choices``."""
    object.__setattr__(config, "questions", tuple(config.questions))
    unknown = [q for q in config.questions if q not in known]
    if not config.questions or unknown:
        raise ValueError(f"questions must be a non-empty subset of {list(known)}, got {config.questions}")
    if not 2 <= config.n_choices <= len(LETTERS):
        raise ValueError(f"n_choices must be in [2, {len(LETTERS)}], got {config.n_choices}")


class LetteredChoiceTask(Task):
    """Balances over the correct option's position (A, B, …) rather than over answer texts."""

    @property
    def classes(self) -> list[str]:
        return list(LETTERS[: self.config.n_choices])

    def answer_class(self, instance: Instance) -> str:
        return LETTERS[instance.choices.index(instance.answer)]
