from pathlib import Path

from modgap.models.chat import ImagePart
from modgap.models.mock import MockBackend
from modgap.tldr.correct import compare, correct_captions, correction_prompt

CAPTION = "A red ball is left of the box. Two cats sleep."
RED, TWO = (CAPTION.index("red"), CAPTION.index("red") + 3), (CAPTION.index("Two"), CAPTION.index("Two") + 3)


def test_the_guided_prompt_lists_flagged_words_under_their_sentence():
    prompt = correction_prompt(CAPTION, [RED, TWO])
    assert '- in "A red ball is left of the box.": "red"' in prompt
    assert '- in "Two cats sleep.": "Two"' in prompt
    assert "flagged" not in correction_prompt(CAPTION, [RED], naive=True)


def test_unflagged_captions_are_kept_and_replies_come_back_in_order():
    backend = MockBackend(lambda r: "fixed: " + r.messages[0].text.split("\n")[1][:5])
    out = correct_captions(backend, [Path("a.png"), None], [CAPTION, "All good."], [[RED], []])
    assert out == ["fixed: A red", "All good."]
    assert len(backend.requests) == 1 and isinstance(backend.requests[0].messages[0].parts[0], ImagePart)
    naive = MockBackend(lambda r: "rewritten")
    assert (
        correct_captions(naive, [None, None], [CAPTION, "All good."], [[RED], []], naive=True)
        == ["rewritten"] * 2
    )


def test_win_tie_loss_by_any_error_count():
    errors = {"bad bad": 2, "bad": 1, "ok": 0}
    outcome = compare(["bad bad", "bad", "ok"], ["bad", "bad", "bad bad"], lambda i, c: errors[c])
    assert (outcome.win, outcome.tie, outcome.loss, outcome.n) == (1, 1, 1, 3)
