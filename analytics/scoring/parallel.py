"""Scoring in worker processes: each builds the pipeline once and scores whole chunks of conversations.

Only conversations go out and small result objects come back (no Doc is pickled), and at most a few chunks
per worker are in flight, so memory stays flat for any input size.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from analytics.scoring.conversation import (
    CHUNK_CONVERSATIONS,
    Scorer,
    as_input,
    default_scorer,
    prepare_process_for_scoring,
)
from analytics.scoring.types import ConversationInput, ConversationScores

_worker_scorer: Scorer | None = None


def _start_worker() -> None:
    global _worker_scorer
    if _worker_scorer is None:  # with "fork" the workers inherit the parent's, built once
        _worker_scorer = Scorer()
    prepare_process_for_scoring()


def _score_chunk(chunk: list[ConversationInput]) -> list[ConversationScores]:
    assert _worker_scorer is not None
    return _worker_scorer.score_chunk(chunk)


def score_in_processes(conversations: Iterable[Any], workers: int,
                       chunk_size: int = CHUNK_CONVERSATIONS) -> Iterator[ConversationScores]:
    """Like ``Scorer.score_many`` (same order), spread over ``workers`` processes; 1 means in this process."""
    iterator = iter(conversations)
    if workers <= 1:
        yield from default_scorer().score_many(iterator)
        return
    global _worker_scorer
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    if "fork" in methods and _worker_scorer is None:
        _worker_scorer = default_scorer()
    with context.Pool(workers, initializer=_start_worker) as pool:
        pending: deque = deque()
        while True:
            while len(pending) < 2 * workers:
                chunk = [as_input(item) for item in islice(iterator, chunk_size)]
                if not chunk:
                    break
                pending.append(pool.apply_async(_score_chunk, (chunk,)))
            if not pending:
                break
            yield from pending.popleft().get()
