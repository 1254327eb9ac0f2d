"""CPU-bound work spread over one process per core, when there is enough of it to pay for
starting them (a fresh clone's first `check`, a cold search index, a large site's pages)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Executor

Item = TypeVar("Item")
Result = TypeVar("Result")
MAX_WORKERS = 8


def available_cores() -> int:
    """The cores this process may run on (a container's share, not the machine's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def map_in_processes(
    function: Callable[[Item], Result], items: list[Item], *, parallel_from: int, preload: str
) -> Iterator[Result]:
    """`map(function, items)` in order; from `parallel_from` items on, in a forkserver pool (no
    fork of a process that may run threads) whose server imports the `preload` module once.
    `function` must be a module-level function of that module. The pool starts and is given
    every item at the call, so the caller may do other work before it reads the results."""
    workers = min(available_cores(), MAX_WORKERS)
    if len(items) < parallel_from or workers < 2:
        return map(function, items)
    import multiprocessing
    from concurrent.futures.process import ProcessPoolExecutor

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([preload])
    pool = ProcessPoolExecutor(workers, mp_context=context)
    try:
        results = pool.map(function, items, chunksize=max(1, len(items) // (workers * 8)))
    except BaseException:
        pool.shutdown(cancel_futures=True)
        raise
    return _results_then_shutdown(pool, results)


def _results_then_shutdown(pool: Executor, results: Iterator[Result]) -> Iterator[Result]:
    with pool:
        yield from results


def start_process_server(preload: list[str]) -> None:
    """Start the process server that pools fork their workers from, importing the `preload`
    modules, now rather than at the first pool: it starts beside the caller's own work, and
    every worker of every pool after it begins with those modules loaded. Nothing on one core."""
    if available_cores() < 2:
        return
    import multiprocessing
    import multiprocessing.forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(preload)
    multiprocessing.forkserver.ensure_running()
