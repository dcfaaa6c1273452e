"""Local transformers chat backend: a causal LM or an image-text-to-text model from a local folder.

Requests that arrive while the model is busy are batched together (left padding, one ``generate``
call per batch of equal decoding parameters); the model runs in a worker thread so an event loop
— the runner's, or ``modgap serve``'s — keeps accepting work meanwhile.
"""

from __future__ import annotations

import asyncio
import io
import threading
import time
import wave
from collections.abc import Callable
from itertools import groupby
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import StoppingCriteria, StoppingCriteriaList

from modgap.models.cache import ResponseCache
from modgap.models.chat import (
    AudioPart,
    ChatRequest,
    ChatResponse,
    ImagePart,
    Message,
    Part,
    TextPart,
    Usage,
)
from modgap.models.loading import load_pretrained

__all__ = ["HFBackend"]


_MAX_CHARS_PER_TOKEN = 32
"""No tokenizer averages more characters per token: a longer text is refused without tokenizing it."""


class HFBackend:
    """Chat with a local Hugging Face checkpoint (``"smollm2"`` for the embedded default)."""

    def __init__(
        self,
        path: str | Path,
        name: str | None = None,
        device: str | torch.device = "auto",
        dtype: torch.dtype | str | None = None,
        batch_size: int = 8,
        cache: ResponseCache | None = None,
    ):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.loaded = load_pretrained(path, device, dtype)
        self.name = name or str(path)
        self.batch_size = batch_size
        self.cache = cache
        tokenizer = self.loaded.tokenizer
        tokenizer.padding_side = "left"  # generation continues every row from its last real token
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        self._model_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[tuple[ChatRequest, asyncio.Future[ChatResponse]]] | None = None

    def __repr__(self) -> str:
        return f"HFBackend({self.name}, batch_size={self.batch_size})"

    @property
    def multimodal(self) -> bool:
        return self.loaded.multimodal

    async def generate(self, request: ChatRequest) -> ChatResponse:
        if self.cache is not None and (hit := self.cache.get(self.name, request)) is not None:
            return hit
        self._check(request)
        start = time.perf_counter()
        future: asyncio.Future[ChatResponse] = asyncio.get_running_loop().create_future()
        await self._ensure_worker().put((request, future))
        response = await future
        response = ChatResponse(response.text, response.usage, time.perf_counter() - start, self.name)
        if self.cache is not None:
            self.cache.put(self.name, request, response)
        return response

    def generate_batch(
        self, requests: list[ChatRequest], abandoned: Callable[[], list[bool]] | None = None
    ) -> list[ChatResponse]:
        """Answer requests that share decoding parameters in one ``generate`` call (synchronous).

        ``abandoned``, polled after each token, marks the rows no one waits for any more (their caller
        was cancelled: a time-out, a server shutting down); those stop there, the call ends when all do.
        """
        if len({r.params for r in requests}) != 1:
            raise ValueError("generate_batch needs requests with identical GenerationParams")
        for r in requests:
            self._check(r)
        params = requests[0].params
        model, tokenizer = self.loaded.model, self.loaded.tokenizer
        inputs = self._encode([_conversation(r, self.multimodal) for r in requests])
        self._check_length(int(inputs["input_ids"].shape[1]), params.max_tokens)
        kwargs: dict[str, Any] = {"max_new_tokens": params.max_tokens, "pad_token_id": tokenizer.pad_token_id}
        if params.temperature > 0:
            kwargs |= {"do_sample": True, "temperature": params.temperature, "top_p": params.top_p}
        else:
            kwargs |= {"do_sample": False, "temperature": None, "top_p": None, "top_k": None}
        if params.stop:
            kwargs |= {"stop_strings": list(params.stop), "tokenizer": tokenizer}
        if abandoned is not None:
            kwargs["stopping_criteria"] = StoppingCriteriaList([_Abandoned(abandoned)])
        start = time.perf_counter()
        with self._model_lock, torch.inference_mode():
            if params.seed is not None:
                torch.manual_seed(params.seed)
            out = model.generate(**inputs, **kwargs)
        latency = time.perf_counter() - start
        new = out[:, inputs["input_ids"].shape[1] :]
        prompt_lengths = inputs["attention_mask"].sum(dim=1).tolist()
        eos = _eos_ids(model, tokenizer)
        return [
            ChatResponse(
                text=_cut(tokenizer.decode(row, skip_special_tokens=True), params.stop),
                usage=Usage(int(n), _generated_length(row.tolist(), eos)),
                latency_s=latency,
                model=self.name,
            )
            for row, n in zip(new, prompt_lengths, strict=True)
        ]

    @property
    def accepts(self) -> set[str]:
        """What its processor reads: images for every VLM, audio and video where it has their processors."""
        processor = self.loaded.processor
        if processor is None:
            return set()
        extra = {"audio": ("feature_extractor", "audio_processor"), "video": ("video_processor",)}
        return {"image"} | {
            kind for kind, attrs in extra.items() if any(hasattr(processor, a) for a in attrs)
        }

    def _check(self, request: ChatRequest) -> None:
        limit = self.context_length
        chars = sum(len(m.text) for m in request.messages)
        if limit is not None and chars > _MAX_CHARS_PER_TOKEN * limit:  # refused before tokenizing it
            raise ValueError(
                f"the prompt ({chars:,} characters) cannot fit {self.name}'s context length "
                f"of {limit:,} tokens"
            )
        missing = set().union(*(m.media for m in request.messages)) - self.accepts
        if missing:
            what = (
                "a text-only model"
                if not self.multimodal
                else f"a model of {', '.join(sorted(self.accepts))}"
            )
            raise ValueError(
                f"{self.name} does not accept {' or '.join(sorted(missing))} input ({what}); "
                "choose representations it can read"
            )

    @property
    def context_length(self) -> int | None:
        """The longest sequence (prompt + reply) the language model was built for, when its config says."""
        config = self.loaded.model.config
        config = getattr(config, "text_config", None) or config
        return getattr(config, "max_position_embeddings", None)

    def _check_length(self, prompt_tokens: int, max_tokens: int) -> None:
        limit = self.context_length
        if limit is not None and prompt_tokens + max_tokens > limit:
            raise ValueError(
                f"the prompt ({prompt_tokens:,} tokens) plus max_tokens ({max_tokens:,}) exceeds "
                f"{self.name}'s context length of {limit:,} tokens"
            )

    def _encode(self, conversations: list[list[dict[str, Any]]]) -> Any:
        common = {
            "add_generation_prompt": True,
            "tokenize": True,
            "return_dict": True,
            "return_tensors": "pt",
        }
        if self.loaded.processor is None:
            inputs = self.loaded.tokenizer.apply_chat_template(conversations, padding=True, **common)
        else:  # processors take their own options apart from the template's
            inputs = self.loaded.processor.apply_chat_template(
                conversations, processor_kwargs={"padding": True}, **common
            )
        model = self.loaded.model
        inputs = inputs.to(model.device)
        if "pixel_values" in inputs:
            inputs["pixel_values"] = inputs["pixel_values"].to(model.dtype)
        return inputs

    def _ensure_worker(self) -> asyncio.Queue:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # first use, or a new event loop (e.g. a second asyncio.run)
            self._loop, self._queue = loop, asyncio.Queue()
            loop.create_task(self._worker(self._queue))
        assert self._queue is not None
        return self._queue

    async def _worker(self, queue: asyncio.Queue) -> None:
        """Take what is waiting (up to ``batch_size``), answer it in batches of equal parameters."""
        while True:
            batch = [await queue.get()]
            while len(batch) < self.batch_size and not queue.empty():
                batch.append(queue.get_nowait())
            batch = [item for item in batch if not item[1].cancelled()]  # timed out while queued
            batch.sort(key=lambda item: repr(item[0].params))
            for _, group in groupby(batch, key=lambda item: item[0].params):
                items = list(group)
                futures = [f for _, f in items]
                try:
                    responses = await asyncio.to_thread(
                        self.generate_batch,
                        [r for r, _ in items],
                        # read from the model's thread: cancelled() only reads the future's state
                        lambda futures=futures: [f.cancelled() for f in futures],
                    )
                except Exception as e:  # noqa: BLE001 - handed to every waiting caller
                    for _, future in items:
                        if not future.done():
                            future.set_exception(e)
                    continue
                for (_, future), response in zip(items, responses, strict=True):
                    if not future.done():
                        future.set_result(response)


class _Abandoned(StoppingCriteria):
    """Stops each row whose ``abandoned()`` flag is set."""

    def __init__(self, abandoned: Callable[[], list[bool]]):
        self.abandoned = abandoned

    def __call__(
        self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any
    ) -> torch.BoolTensor:
        return torch.tensor(self.abandoned(), dtype=torch.bool, device=input_ids.device)


def _conversation(request: ChatRequest, multimodal: bool) -> list[dict[str, Any]]:
    """Messages in the ``apply_chat_template`` form: plain strings for text models, part lists for VLMs."""
    return [{"role": m.role, "content": _content(m) if multimodal else m.text} for m in request.messages]


def _content(message: Message) -> list[dict[str, Any]]:
    return [_hf_part(p) for p in message.parts]


def _hf_part(part: Part) -> dict[str, Any]:
    """A part as processors' chat templates take it (audio as a float waveform, video as frames)."""
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    if isinstance(part, ImagePart):
        return {"type": "image", "image": part.pil()}
    if isinstance(part, AudioPart):
        with wave.open(io.BytesIO(part.wav())) as w:
            if (w.getsampwidth(), w.getnchannels()) != (2, 1):
                raise ValueError("audio parts must be 16-bit mono WAV for local models")
            pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
        return {"type": "audio", "audio": pcm.astype(np.float32) / 32768}
    return {"type": "video", "video": [f.pil() for f in part.frames]}


def _eos_ids(model: Any, tokenizer: Any) -> set[int]:
    eos = model.generation_config.eos_token_id
    ids = set(eos if isinstance(eos, list) else [eos]) | {tokenizer.eos_token_id, tokenizer.pad_token_id}
    return {i for i in ids if i is not None}


def _generated_length(row: list[int], eos: set[int]) -> int:
    """Tokens up to and including the first end-of-sequence one (the rest is batch padding)."""
    for i, token in enumerate(row):
        if token in eos:
            return i + 1
    return len(row)


def _cut(text: str, stop: tuple[str, ...]) -> str:
    """Drop the first stop string and what follows, as OpenAI-compatible servers do."""
    cuts = [i for s in stop if (i := text.find(s)) >= 0]
    return text[: min(cuts)] if cuts else text
