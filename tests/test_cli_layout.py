"""The command line is one module per command, with shared helpers in `common` and the app in `app`."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import typer.main
from typer.testing import CliRunner

from incentives.cli.app import EXIT_DATA, EXIT_EVAL, EXIT_PLAN, EXIT_USAGE, app

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "incentives" / "cli"
COMMANDS = {"check": "check", "run": "run", "fmt": "fmt", "test": "test", "schema": "schema", "ledger": "ledger",
            "serve": "serve", "db": "serve", "token": "serve", "simulate": "simulate", "diff": "simulate"}


def test_every_command_has_its_own_module():
    for module in [*COMMANDS.values(), "common", "app"]:
        assert (CLI / f"{module}.py").is_file(), module
        importlib.import_module(f"incentives.cli.{module}")


def test_app_registers_the_commands():
    names = set(typer.main.get_command(app).commands)
    assert names == set(COMMANDS)


def test_exit_codes_are_the_documented_ones():
    from incentives.cli import common
    assert (EXIT_PLAN, EXIT_USAGE, EXIT_DATA, EXIT_EVAL) == (1, 2, 3, 4)
    assert (common.EXIT_PLAN, common.EXIT_USAGE, common.EXIT_DATA, common.EXIT_EVAL) == (1, 2, 3, 4)


def test_modules_are_small_and_commands_import_common_not_app():
    for path in CLI.glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 300, path.name
        if path.stem in COMMANDS.values() or path.stem == "common":
            tree = ast.parse(path.read_text(encoding="utf-8"))
            imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
            assert not any(m == "app" or m.endswith("cli.app") for m in imported), path.name
            if path.stem == "common":
                assert not imported & set(COMMANDS.values()), "common imports no command"


def test_help_lists_the_commands():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output
    out = subprocess.run([sys.executable, "-m", "incentives.cli", "--help"], capture_output=True, text=True, check=False,
                         timeout=60, cwd=ROOT)
    assert out.returncode == 0 and all(name in out.stdout for name in COMMANDS)
