"""Retries with exponential backoff and full jitter, honouring a server's Retry-After."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["RetryPolicy", "call_with_retries"]

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    """Tries in all, the first included."""
    base_delay: float = 0.5
    """Seconds before the first retry (doubling after each)."""
    max_delay: float = 30.0
    """Cap on one wait, Retry-After included."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")
        if not 0 <= self.base_delay <= self.max_delay:
            raise ValueError(f"need 0 <= base_delay <= max_delay, got {self.base_delay}, {self.max_delay}")

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Wait before retry number ``attempt`` (1-based): the server's Retry-After if it gave one,
        else a uniform draw from [0, base·2^(attempt-1)] ("full jitter", so clients spread out)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay)
        return rng.uniform(0, min(self.base_delay * 2 ** (attempt - 1), self.max_delay))


async def call_with_retries(
    fn: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    should_retry: Callable[[BaseException], bool],
    retry_after: Callable[[BaseException], float | None] = lambda _e: None,
    rng: random.Random | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """Await ``fn()``; on an exception ``should_retry`` accepts, wait and try again, up to the policy."""
    rng = rng or random.Random()
    for attempt in range(1, policy.max_attempts + 1):
        try:
            return await fn()
        except Exception as e:  # noqa: BLE001 - classified by should_retry, re-raised otherwise
            if attempt == policy.max_attempts or not should_retry(e):
                raise
            await sleep(policy.delay(attempt, retry_after(e), rng))
    raise AssertionError("unreachable")
