"""The `incentives` typer application: the commands registered, and `main`, the console script.

Each command lives in its own module (`check`, `run`, `fmt`, `test`, `schema`, `ledger`, `serve`,
`simulate` with `diff`); the exit codes
and the shared printing are in `common` (re-exported here for scripts and tests).
"""

from __future__ import annotations

import os
import sys

import typer

from . import check, fmt, ledger, run, schema, serve, simulate, test
from .common import EXIT_DATA, EXIT_EVAL, EXIT_INTERNAL, EXIT_OK, EXIT_PLAN, EXIT_USAGE, say

__all__ = ["EXIT_DATA", "EXIT_EVAL", "EXIT_INTERNAL", "EXIT_OK", "EXIT_PLAN", "EXIT_USAGE", "app", "main"]

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a writer whose reader went away

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  pretty_exceptions_enable=False,
                  help="Incentive plans as checked text: exact, explainable payouts.")
app.command()(check.check)
app.command()(run.run)
app.command()(fmt.fmt)
app.command("test")(test.test_)
app.command()(schema.schema)
app.add_typer(ledger.app, name="ledger")
app.command()(serve.serve)
app.command()(simulate.simulate)
app.command()(simulate.diff)
app.add_typer(serve.db_app, name="db")
app.add_typer(serve.token_app, name="token")


def main() -> None:
    """The console script: the app, with a one-line message (exit 70) instead of a traceback should
    something unforeseen go wrong, and a quiet exit when the reader of stdout goes away."""
    try:
        try:
            app()
        finally:
            sys.stdout.flush()  # a closed pipe shows here, not as a message at interpreter exit
    except BrokenPipeError:  # `incentives run ... | head`: the rest of the output is not wanted
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        sys.exit(EXIT_BROKEN_PIPE)
    except Exception as e:  # noqa: BLE001 - the last resort; every known problem has its own message
        say(f"incentives: internal error: {type(e).__name__}: {e} (please report this)")
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":  # pragma: no cover
    main()
