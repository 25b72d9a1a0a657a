"""A progress bar on stderr, so the bench needs no dependency for one line of output.

On a terminal it redraws one line at most ten times a second; elsewhere (CI logs, `make` piped to a file) it prints
a line at each quarter, so logs stay short.
"""
import sys
import time

BAR_WIDTH = 28
REDRAW_SECONDS = 0.1  # often enough to look alive, rarely enough to cost nothing


class Progress:
    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, max(total, 1), 0
        self.started = self.drawn_at = time.monotonic()
        self.tty = sys.stderr.isatty()
        self.next_quarter = 0.25
        self._draw(force=True)

    def update(self, n: int) -> None:
        self.done += n
        self._draw()

    def close(self) -> float:
        """Finish the line; returns the seconds this stage took."""
        self.done = self.total
        self._draw(force=True)
        if self.tty:
            sys.stderr.write("\n")
        sys.stderr.flush()
        return time.monotonic() - self.started

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        fraction = min(self.done / self.total, 1.0)
        if self.tty:
            if not force and now - self.drawn_at < REDRAW_SECONDS:
                return
            filled = int(BAR_WIDTH * fraction)
            sys.stderr.write(f"\r  {self.label:<16} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {fraction:4.0%} "
                             f"{self.done:>11,}/{self.total:,}  {now - self.started:6.1f}s")
            sys.stderr.flush()
        elif force and self.done == 0:
            sys.stderr.write(f"  {self.label}: {self.total:,} rows\n")
        elif fraction >= self.next_quarter:
            while fraction >= self.next_quarter:
                self.next_quarter += 0.25
            sys.stderr.write(f"  {self.label}: {fraction:.0%} ({now - self.started:.1f}s)\n")
        self.drawn_at = now
