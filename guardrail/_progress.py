"""One progress bar on stderr (rich), shared by ``classify`` and the eval suite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress_bar(label: str, total: int | None, *, in_bytes: bool = False
                 ) -> Iterator[Callable[[int], None]]:
    """A transient bar counting to `total` (bytes when `in_bytes`); yields `advance(n)`.

    The bar starts at the first `advance`, not before: its refresh thread must not exist while
    a process pool forks its workers.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    count = (DownloadColumn(), TimeElapsedColumn(), TimeRemainingColumn()) if in_bytes else (
        MofNCompleteColumn(), TimeElapsedColumn())
    bar = Progress(label, BarColumn(), *count, console=Console(stderr=True), transient=True)
    task = bar.add_task(label, total=total)

    def advance(done: int) -> None:
        if not bar.live.is_started:
            bar.start()
        bar.advance(task, done)

    try:
        yield advance
    finally:
        bar.stop()
