"""What every command shares: exit codes, printing (never as markup, control characters shown
escaped), reading and compiling plans, reporting errors and writing output files.

Exit codes scripts can rely on:
  0 success; 1 a plan has errors (or `fmt --check` would change a file);
  2 bad usage or a file that cannot be read or written (missing, a directory, a FIFO or device,
    too large); 3 bad input data; 4 a payee could not be evaluated (division by zero, a missing
    table row); 70 an internal error (a bug: please report it).
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console

from dsl import PlanError
from dsl.source import InputFileError, Source, check_file
from incentives.engine.compiled import CompiledPlan
from incentives.plan import compile_source

EXIT_OK, EXIT_PLAN, EXIT_USAGE, EXIT_DATA, EXIT_EVAL = 0, 1, 2, 3, 4
EXIT_INTERNAL = 70  # EX_SOFTWARE (sysexits.h)

err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)

# C0 and C1 controls (ESC starts a terminal escape sequence, CR rewrites the line, BEL rings), bidi
# controls that reorder what is shown, line and paragraph separators, a BOM, and lone surrogates
# (which cannot even be written out as UTF-8).
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff"
_UNSAFE_LINE = re.compile(f"[\t\n{_CONTROLS}]")
_UNSAFE_LINES = re.compile(f"[{_CONTROLS}]")


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(m: re.Match) -> str:
    c = m.group()
    code = ord(c)
    return _NAMED.get(c) or (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")


def shown(text: object, lines: bool = False) -> str:
    """User-supplied text (a path, a payee id, a plan excerpt) made safe to print on a terminal:
    control characters and escape sequences come out escaped (`\\x1b`, `\\r`, `\\x07` as `\\x07`...),
    never raw.  lines=True keeps line breaks and tabs (a rendered report, a plan excerpt)."""
    return (_UNSAFE_LINES if lines else _UNSAFE_LINE).sub(_escape, str(text))


def say(text: object, lines: bool = False) -> None:
    """Print a message on stderr: escaped by `shown`, never read as rich markup or emoji codes."""
    err.print(shown(text, lines), markup=False, emoji=False, highlight=False)


def out(text: str) -> None:
    sys.stdout.write(text)


def fail(message: object, code: int = EXIT_USAGE) -> NoReturn:
    say(message)
    raise typer.Exit(code)


def problems(lines: Iterable[object], code: int) -> NoReturn:
    """Print each problem on its own line (escaped) and exit with code."""
    for line in lines:
        say(line)
    raise typer.Exit(code)


def file_problems(e: InputFileError) -> NoReturn:
    """A file that cannot be read (missing, a directory, a FIFO, a device, too large): exit 2."""
    problems(e.problems, EXIT_USAGE)


def read_plan(path: Path) -> Source:
    try:
        return Source.from_path(path)
    except InputFileError as e:
        file_problems(e)


def check_plan_file(path: Path) -> None:
    """Exit 2, naming the path, unless it is an existing regular file (nothing is read)."""
    try:
        check_file(path, "the plan")
    except InputFileError as e:
        file_problems(e)


def plan_errors(e: PlanError) -> None:
    say(e.render(), lines=True)


def compile_plan(path: Path, strict: bool = False) -> CompiledPlan:
    """The compiled plan, or exit: 2 if the file cannot be read, 1 if the plan has errors (or
    warnings, with strict)."""
    source = read_plan(path)
    try:
        plan = compile_source(source)
    except PlanError as e:
        plan_errors(e)
        n = len(e.errors)
        fail(f"{path}: {n} error{'s' if n != 1 else ''}", EXIT_PLAN)
    for w in plan.warnings:
        say(w.render(source), lines=True)
    if strict and plan.warnings:
        fail(f"{path}: warnings are errors (--strict)", EXIT_PLAN)
    return plan


def _is_stream(path: Path, st: os.stat_result | None) -> bool:
    """A device or pipe (/dev/stdout, /dev/null, a FIFO): written to as it is, not replaced."""
    if st is not None and not stat.S_ISREG(st.st_mode):
        return True
    return str(path).startswith(("/dev/", "/proc/"))


def check_output(path: Path, what: str = "the output") -> None:
    """Exit 2 now (before any work) if `--output` cannot be written: onto a directory, or into a
    directory that does not exist."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except (OSError, ValueError) as e:
        fail(f"{path}: cannot write {what}: {getattr(e, 'strerror', None) or e}")
    if st is not None and stat.S_ISDIR(st.st_mode):
        fail(f"{path}: cannot write {what}: it is a directory; give a file name")
    if st is not None and _is_stream(path, st):
        return
    parent = path.absolute().parent
    if not parent.exists():
        fail(f"{path}: cannot write {what}: the directory {parent} does not exist")
    if not parent.is_dir():
        fail(f"{path}: cannot write {what}: {parent} is not a directory")


def write_output(path: Path, text: str, what: str = "the output") -> None:
    """Write text to path whole or not at all: into a new file beside it, then renamed over it (the
    file keeps its permissions).  A device or pipe is written to directly.  Problems exit 2."""
    check_output(path, what)
    data = text.encode("utf-8", "backslashreplace")
    try:
        st = os.stat(path)
    except OSError:
        st = None
    if _is_stream(path, st):
        try:
            with open(path, "wb") as f:
                f.write(data)
        except OSError as e:
            fail(f"{path}: cannot write {what}: {e.strerror or e}")
        return
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
                     | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as e:
        fail(f"{path}: cannot write {what}: {e.strerror or e}")
    try:
        with open(fd, "wb") as f:
            f.write(data)
        if st is not None:
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
        os.replace(tmp, target)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        fail(f"{path}: cannot write {what}: {e.strerror or e}")


@contextmanager
def reported(current: Callable[[], CompiledPlan]) -> Iterator[None]:
    """A run's problems as every command reports them: a file that cannot be read (exit 2, before bad
    data: it is one), bad data (3), a payee that cannot be evaluated (4, with the plan excerpt of
    `current()`, the plan being run when it happened)."""
    from incentives.errors import DataError, EvaluationError
    try:
        yield
    except InputFileError as e:
        file_problems(e)
    except DataError as e:
        problems(e.problems, EXIT_DATA)
    except EvaluationError as e:
        say(e.diagnostic().render(current().source), lines=True)
        raise typer.Exit(EXIT_EVAL)
