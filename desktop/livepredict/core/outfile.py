"""Writing result files so that an interruption or a full disk never loses what was done.

``RowFile`` writes rows as they are made into a temporary file beside the target (``.NAME.*.part``)
and renames it over the target when it is closed — also when the run was interrupted (Ctrl+C,
SIGTERM turned into an exception) or failed, so the rows done so far are kept and an older file of
that name is replaced only by something, never emptied first. A run that wrote nothing leaves an
older file as it was. A write error (full disk, ``/dev/full``) cuts the file back to its last whole
row and raises :class:`OutputWriteError` naming the file and the cause. Targets that are not regular
files (``/dev/stdout``, a FIFO, ``/dev/full``) are written directly, row by row.

``CsvRows`` adds CSV quoting and neutralises cells that a spreadsheet would run as a formula
(``=``, ``+``, ``-``, ``@`` first; OWASP's CSV-injection advice: prefix ``'``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TextIO

from livepredict.core.errors import OutputWriteError
from livepredict.core.paths import not_a_file

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_error(path: str | os.PathLike, e: OSError) -> OutputWriteError:
    """One sentence for a failed write of ``path``."""
    cause = e.strerror or type(e).__name__
    return OutputWriteError(f"Cannot write {path} ({cause}); free some space or pick another place.",
                            details=str(e))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class RowFile:
    """A text file that grows by whole rows and survives interruption (see the module docstring)."""

    def __init__(self, path: str | os.PathLike, *, encoding: str = "utf-8") -> None:
        self.path = Path(path)
        self.rows = 0
        self._encoding = encoding
        self._good = 0  # bytes written up to the end of the last whole row
        self._direct = not_a_file(self.path) is not None
        self._tmp: Path | None = None
        target = self.path
        try:
            if not self._direct:
                fd, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part",
                                            dir=self.path.parent if str(self.path.parent) else ".")
                self._tmp = target = Path(name)
                os.chmod(fd, 0o666 & ~_umask())
                self._f: TextIO | None = os.fdopen(fd, "w", encoding=encoding, newline="")
            else:
                self._f = open(target, "w", encoding=encoding, newline="")  # noqa: SIM115 - closed in close()
        except OSError as e:
            raise OutputWriteError(f"Cannot write {self.path} ({e.strerror or type(e).__name__}); pick "
                                   "another path.", details=str(e)) from e

    def write_row(self, text: str) -> None:
        """Append ``text`` (one or more whole lines) and flush it to the file at once."""
        f = self._f
        if f is None:
            raise ValueError(f"{self.path} is already closed")
        try:
            f.write(text)
            f.flush()
        except OSError as e:
            self._cut_back(f)
            raise write_error(self.path, e) from e
        self._good += len(text.encode(self._encoding))
        self.rows += 1

    def _cut_back(self, f: TextIO) -> None:
        """After a failed write: drop the partial row (and what Python still buffers)."""
        with contextlib.suppress(OSError, ValueError):
            os.ftruncate(f.fileno(), self._good)

    def close(self) -> None:
        """Put what was written in place of the target (nothing written: the target is untouched)."""
        f, self._f = self._f, None
        if f is None:
            return
        try:
            try:
                f.close()
            except OSError:
                with contextlib.suppress(OSError, ValueError):
                    os.truncate(self._tmp or self.path, self._good)
            if self._tmp is not None:
                if self.rows:
                    os.replace(self._tmp, self.path)
                else:
                    self._tmp.unlink(missing_ok=True)
        except OSError as e:
            raise write_error(self.path, e) from e
        finally:
            if self._tmp is not None and self._tmp.exists() and not self.rows:
                self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> RowFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def csv_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text (no formula), numbers kept as they are."""
    text = "" if value is None else str(value)
    # a file name that is not valid UTF-8 (surrogate-escaped by the OS layer) is written readably
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if text.startswith(_FORMULA_START):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


class CsvRows(RowFile):
    """CSV rows through :class:`RowFile`, each row written (and flushed) whole."""

    def row(self, values: Iterable[Any]) -> None:
        buf = io.StringIO()
        csv.writer(buf).writerow([csv_cell(v) for v in values])
        self.write_row(buf.getvalue())

    def __enter__(self) -> CsvRows:
        return self


def replace_with(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """Make ``path`` by ``write(temporary path beside it)`` and rename it into place: an older file of
    that name is replaced whole or not at all. ``write`` may raise OSError; OutputWriteError names the file."""
    target = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part" + target.suffix,
                                dir=target.parent if str(target.parent) else ".")
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except OSError as e:
        raise write_error(target, e) from e
    finally:
        tmp.unlink(missing_ok=True)
    return target


def write_text(path: str | os.PathLike, text: str) -> Path:
    """``text`` (UTF-8) as the whole of ``path``, through :func:`replace_with`."""
    return replace_with(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
