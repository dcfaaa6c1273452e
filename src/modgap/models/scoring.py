"""Multiple-choice answers by likelihood: each option scored in one teacher-forced pass.

The option a model finds most likely (mean log-probability of its tokens after the chat prompt, as
lm-evaluation-harness ranks options) is its answer; a small or steered model is then not marked wrong
for failing to copy a long option. Works for VLMs (processor with a chat template, optional image) and
text-only models (tokenizer with a chat template).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from PIL import Image
from transformers import PreTrainedTokenizerBase

__all__ = ["MCQuestion", "chat_prompt", "rank_options"]


@dataclass(frozen=True)
class MCQuestion:
    question: str
    choices: tuple[str, ...]
    answer: str
    image: Image.Image | None = None
    kind: str = ""

    def __post_init__(self) -> None:
        if self.answer not in self.choices:
            raise ValueError(
                f"answer {self.answer!r} is not among the choices {self.choices} of {self.question!r}"
            )


def chat_prompt(processor: Any, question: str, image: bool = True) -> str:
    """The user turn asking ``question`` (about one image, with ``image``), up to the assistant's reply:
    what a chat model is given before it answers or an option is scored.

    A processor (a VLM) gets the content as parts; a tokenizer (a text-only model) gets it as the plain
    string text chat templates expect (SmolLM2's concatenates it, and fails on a list of parts).
    """
    if isinstance(processor, PreTrainedTokenizerBase):
        if image:
            raise ValueError(f"{processor.name_or_path} is a text-only model: it cannot be shown an image")
        content: str | list[dict[str, str]] = question
    else:
        content = [{"type": "image"}] * image + [{"type": "text", "text": question}]
    messages = [{"role": "user", "content": content}]
    return processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)


def _encode(
    processor: Any, pairs: Sequence[tuple[MCQuestion, str]]
) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Left-padded prompt + option for every pair, and the mask of the option's tokens."""
    tokenizer = getattr(processor, "tokenizer", processor)
    tokenizer.padding_side = "left"
    texts = [chat_prompt(processor, q.question, q.image is not None) + option for q, option in pairs]
    images = [q.image for q, _ in pairs if q.image is not None]
    kwargs = {"images": images} if images else {}
    batch = dict(processor(text=texts, padding=True, return_tensors="pt", add_special_tokens=False, **kwargs))
    answer = torch.zeros_like(batch["input_ids"], dtype=torch.bool)
    for row, (_, option) in enumerate(pairs):
        n = len(tokenizer(option, add_special_tokens=False)["input_ids"])
        answer[row, -n:] = True
    return batch, answer


@torch.no_grad()
def rank_options(
    model: Any,
    processor: Any,
    questions: Sequence[MCQuestion],
    batch_size: int = 64,
    before_forward: Callable[[torch.Tensor], None] | None = None,
) -> list[str]:
    """The most likely option of each question. ``before_forward(answer_mask)`` runs before each pass
    (steering uses it to leave the answer tokens unsteered, as in generation)."""
    pairs = [(q, option) for q in questions for option in q.choices]
    device = next(model.parameters()).device
    scores: list[float] = []
    for start in range(0, len(pairs), batch_size):
        batch, answer = _encode(processor, pairs[start : start + batch_size])
        if before_forward:
            before_forward(answer)
        logits = model(**{k: v.to(device) for k, v in batch.items()}).logits[:, :-1].float()
        target, scored = batch["input_ids"][:, 1:].to(device), answer[:, 1:].to(device)
        logp = torch.log_softmax(logits, -1).gather(-1, target.unsqueeze(-1)).squeeze(-1)
        scores += ((logp * scored).sum(-1) / scored.sum(-1)).tolist()
    picks, at = [], 0
    for q in questions:
        options = scores[at : at + len(q.choices)]
        picks.append(q.choices[max(range(len(options)), key=options.__getitem__)])
        at += len(q.choices)
    return picks
