"""Plan source text and positions in it.

A `Span` names a place in a plan file by 1-based line and column, the way an
editor shows it.  Every AST node and every diagnostic carries one.

`read_file` is the one way the project reads an input file: it refuses anything that is not a
regular file (a directory, a FIFO, a device such as /dev/zero, a socket) before reading from it,
says plainly when a file does not exist, and never reads more than a size limit.  Its problems
raise `InputFileError`, which the command line reports with exit code 2.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .errors import IncentivesError, Problem

#: Plans larger than this are refused before parsing (a clear error, not a crash).
MAX_PLAN_BYTES = 1_000_000


class InputFileError(IncentivesError):
    """A file that cannot be read at all: missing, not a regular file, unreadable or too large.

    Each problem names the path and what is wrong with it (code "file")."""

    kind = "file"

    def __init__(self, problems):
        super().__init__(problems)


_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _what(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def file_problem(path: str | Path, message: str, error: type[InputFileError] = InputFileError) -> InputFileError:
    """An `InputFileError` naming the path."""
    return error([Problem.at(str(path), "", message, code="file")])


def check_file(path: str | Path, what: str = "the file", error: type[InputFileError] = InputFileError) -> None:
    """Raise `error` naming the path unless it is an existing regular file (nothing is opened)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise file_problem(path, f"cannot read {what}: it does not exist", error) from None
    except OSError as e:
        raise file_problem(path, f"cannot read {what}: {e.strerror or e}", error) from None
    except ValueError as e:  # a NUL byte in the path
        raise file_problem(path, f"cannot read {what}: {e}", error) from None
    if not stat.S_ISREG(mode):
        raise file_problem(path, f"cannot read {what}: it is {_what(mode)}, not a regular file", error)


def read_file(path: str | Path, limit: int, what: str = "the file",
              error: type[InputFileError] = InputFileError) -> bytes:
    """The bytes of a regular file of at most `limit` bytes, or `error` naming the path.

    The file's kind is checked before it is opened (so a FIFO never blocks and /dev/zero is never
    read) and again on the open descriptor; at most limit + 1 bytes are ever read."""
    def fail(message: str) -> InputFileError:
        return file_problem(path, message, error)

    check_file(path, what, error)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
                     | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise fail(f"cannot read {what}: it does not exist") from None
    except OSError as e:
        if e.errno == errno.ENXIO:  # a socket or a FIFO put in its place since the check
            raise fail(f"cannot read {what}: it is not a regular file") from None
        raise fail(f"cannot read {what}: {e.strerror or e}") from None
    with open(fd, "rb", closefd=True) as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise fail(f"cannot read {what}: it is {_what(st.st_mode)}, not a regular file")
        too_large = fail(f"{what} is larger than the limit of {limit:,} bytes")
        if st.st_size > limit:
            raise too_large
        try:
            data = _read_at_most(f, limit + 1, st.st_size + 1)
        except OSError as e:
            raise fail(f"cannot read {what}: {e.strerror or e}") from None
    if len(data) > limit:
        raise too_large
    return data


def _read_at_most(f, most: int, expected: int) -> bytes:
    """At most `most` bytes of f: first the size the file had (so no buffer of `most` bytes is set
    aside for a small file), then on in chunks should it have grown meanwhile."""
    first = f.read(min(most, expected))
    if len(first) < min(most, expected) or len(first) >= most:
        return first
    parts, total = [first], len(first)
    while total < most:
        chunk = f.read(min(1 << 20, most - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)


@dataclass(frozen=True, slots=True)
class Span:
    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    @staticmethod
    def point(file: str, line: int, column: int) -> "Span":
        return Span(file, line, column, line, column + 1)

    def to(self, other: "Span") -> "Span":
        """The span from the start of self to the end of other."""
        return Span(self.file, self.line, self.column, other.end_line, other.end_column)


@dataclass(frozen=True)
class Source:
    """The text of one plan file, with the name used in messages."""

    name: str
    text: str
    lines: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Split on \n only, as the parser counts lines (not on form feeds or U+2028).
        object.__setattr__(self, "lines", tuple(line.rstrip("\r") for line in self.text.split("\n")))

    @classmethod
    def from_path(cls, path: str | Path) -> "Source":
        """A plan file's text.  Raises `InputFileError` (naming the path) for a file that does not
        exist, is not a regular file, is larger than MAX_PLAN_BYTES or is not UTF-8 text."""
        data = read_file(path, MAX_PLAN_BYTES, "the plan")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise file_problem(path, f"cannot read the plan: byte {e.start}: the file is not UTF-8 text") from None
        return cls(str(path), text)

    def line_text(self, line: int) -> str:
        if 1 <= line <= len(self.lines):
            return self.lines[line - 1]
        return ""
