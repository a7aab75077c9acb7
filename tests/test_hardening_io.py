"""Hostile or broken input files through the real command line: every problem is a located message
with its documented exit code, never a traceback, a hang or a wrong payout.

Exit codes: 2 a file that cannot be read or written, 3 bad data."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dsl.source import MAX_PLAN_BYTES, InputFileError, read_file
from incentives.cli import app as app_module
from incentives.cli.app import EXIT_DATA, EXIT_PLAN, EXIT_USAGE, app
from incentives.cli.common import EXIT_INTERNAL, shown
from incentives.sales import tables

ROOT = Path(__file__).resolve().parent.parent
AE = ROOT / "plans" / "account_executive.plan"
AE_DATA = ROOT / "plans" / "data" / "account_executive.csv"
runner = CliRunner()

needs_posix = pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(),
                                 reason="FIFOs and /dev/zero are POSIX")


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def cli(*args, timeout=60):
    """The real console program in a subprocess: a hang fails the test instead of hanging it."""
    return subprocess.run([sys.executable, "-m", "incentives.cli", *map(str, args)], capture_output=True, check=False,
                          text=True, timeout=timeout, cwd=ROOT)


# ---- files that are not regular files, or are missing ------------------------------------------------------

def _commands(plan: Path) -> list[list[object]]:
    return [["check", plan], ["fmt", plan], ["test", plan], ["run", plan, "--data", AE_DATA]]


@needs_posix
def test_a_fifo_is_refused_at_once_by_every_command(tmp_path):
    fifo = tmp_path / "pipe.plan"
    os.mkfifo(fifo)
    for args in _commands(fifo):
        out = cli(*args, timeout=60)
        assert out.returncode == EXIT_USAGE, (args, out.stderr)
        assert f"{fifo}: cannot read the plan: it is a named pipe (FIFO), not a regular file" in out.stderr
        assert "Traceback" not in out.stderr


@needs_posix
def test_a_fifo_as_data_or_mapping_is_refused_at_once(tmp_path):
    fifo = tmp_path / "people.csv"
    os.mkfifo(fifo)
    out = cli("run", AE, "--data", fifo)
    assert out.returncode == EXIT_USAGE and f"{fifo}: cannot read the data file: it is a named pipe" in out.stderr
    mapping = tmp_path / "map.toml"
    os.mkfifo(mapping)
    out = cli("run", AE, "--data", AE_DATA, "--mapping", mapping)
    assert out.returncode == EXIT_USAGE and f"{mapping}: cannot read the mapping: it is a named pipe" in out.stderr


@needs_posix
@pytest.mark.parametrize("command", ["check", "fmt", "test", "run"])
def test_dev_zero_as_a_plan_is_refused_not_read(command):
    args = {"check": ["check"], "fmt": ["fmt"], "test": ["test"], "run": ["run"]}[command]
    extra = ["--data", AE_DATA] if command == "run" else []
    result = invoke(*args, "/dev/zero", *extra)
    assert result.exit_code == EXIT_USAGE
    assert "/dev/zero: cannot read the plan: it is a character device, not a regular file" in result.output


@needs_posix
def test_dev_zero_as_data_is_refused_not_read():
    result = invoke("run", AE, "--data", "/dev/zero")
    assert result.exit_code == EXIT_USAGE
    assert "/dev/zero: cannot read the data file: it is a character device" in result.output


@pytest.mark.parametrize("command", ["check", "fmt", "test", "run"])
def test_a_missing_plan_exits_2_and_says_it_does_not_exist(tmp_path, command):
    missing = tmp_path / "nope.plan"
    for args in _commands(missing):
        if args[0] != command:
            continue
        result = invoke(*args)
        assert result.exit_code == EXIT_USAGE
        assert f"{missing}: cannot read the plan: it does not exist" in result.output


@pytest.mark.parametrize("command", ["check", "fmt", "run"])
def test_a_directory_as_a_plan_exits_2(tmp_path, command):
    folder = tmp_path / "folder.plan"
    folder.mkdir()
    args = next(a for a in _commands(folder) if a[0] == command)
    result = invoke(*args)
    assert result.exit_code == EXIT_USAGE
    assert f"{folder}: cannot read the plan: it is a directory, not a regular file" in result.output


def test_a_socket_as_a_plan_exits_2(tmp_path):
    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("no unix sockets")
    path = tmp_path / "s.plan"
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(path))
    except OSError:
        pytest.skip("cannot bind a unix socket here (path too long?)")
    try:
        result = invoke("check", path)
        assert result.exit_code == EXIT_USAGE
        assert f"{path}: cannot read the plan: it is a socket" in result.output
    finally:
        sock.close()


@pytest.mark.parametrize("option", ["--data", "--deals", "--splits", "--mapping"])
def test_missing_or_directory_data_files_exit_2_naming_the_path(tmp_path, option):
    missing, folder = tmp_path / "missing.csv", tmp_path / "folder.csv"
    folder.mkdir()
    for bad, what in ((missing, "it does not exist"), (folder, "it is a directory, not a regular file")):
        args = ["run", AE, "--data", AE_DATA] if option != "--data" else ["run", AE]
        result = invoke(*args, option, bad)
        assert result.exit_code == EXIT_USAGE, result.output
        assert f"{bad}: cannot read the " in result.output and what in result.output


def test_a_directory_given_to_test_is_searched_and_a_fifo_inside_it_exits_2(tmp_path):
    good = tmp_path / "plans"
    good.mkdir()
    (good / "ae.plan").write_bytes(AE.read_bytes())
    if hasattr(os, "mkfifo"):
        os.mkfifo(good / "zz.plan")
        out = cli("test", good, "--max-examples", "5")
        assert out.returncode == EXIT_USAGE and f"{good / 'zz.plan'}: cannot read the plan: it is a named pipe" \
            in out.stderr


# ---- size limits ----------------------------------------------------------------------------------------

def test_a_plan_over_the_size_limit_exits_2(tmp_path):
    big = tmp_path / "big.plan"
    big.write_bytes(b"# " + b"x" * MAX_PLAN_BYTES + b"\n")
    for args in _commands(big):
        result = invoke(*args)
        assert result.exit_code == EXIT_USAGE
        assert f"{big}: the plan is larger than the limit of 1,000,000 bytes" in result.output


@pytest.mark.parametrize("suffix", ["csv", "json"])
def test_a_data_file_over_the_size_limit_exits_2(tmp_path, monkeypatch, suffix):
    data = write(tmp_path / f"people.{suffix}", AE_DATA.read_text() if suffix == "csv" else
                 '[{"id": "a", "revenue": 1, "quota": 1}]')
    monkeypatch.setattr(tables, "MAX_DATA_BYTES", 20)
    result = invoke("run", AE, "--data", data)
    assert result.exit_code == EXIT_USAGE
    assert f"{data}: the data file is larger than the limit of 20 bytes" in result.output


def test_reading_never_goes_past_the_limit(tmp_path):
    path = tmp_path / "f.txt"
    path.write_bytes(b"0123456789")
    assert read_file(path, 10) == b"0123456789"
    with pytest.raises(InputFileError) as e:
        read_file(path, 9, "the thing")
    assert str(e.value) == f"{path}: the thing is larger than the limit of 9 bytes"
    assert e.value.problems[0].code == "file"


def test_a_file_error_is_a_data_error_for_the_python_api(tmp_path):
    from incentives.errors import DataError
    with pytest.raises(DataError):
        tables.read_rows(tmp_path / "nope.csv")


# ---- CSV -------------------------------------------------------------------------------------------------

def test_a_row_with_more_cells_than_the_header_is_an_error_not_shifted_values(tmp_path):
    data = write(tmp_path / "p.csv", "id,revenue,quota\nok,100,100\nrep-1,1,000,100000\n")
    result = invoke("run", AE, "--data", data, "--format", "csv")
    assert result.exit_code == EXIT_DATA
    assert f"{data}: row 3: 4 cells, but the header names 3 columns" in result.output
    assert "rep-1" not in result.stdout  # nothing paid


def test_an_unterminated_quote_names_the_row_where_it_opened(tmp_path):
    data = write(tmp_path / "p.csv", 'id,revenue,quota\na,1,100\nb,"2,100\nc,3,100\nd,4,100\n')
    result = invoke("run", AE, "--data", data, "--format", "csv")
    assert result.exit_code == EXIT_DATA
    assert f"{data}: row 3: a quote opens in this row (line 3 of the file) and is never closed" in result.output


def test_a_quoted_cell_with_a_line_break_is_one_row(tmp_path):
    data = write(tmp_path / "p.csv", 'id,revenue,quota,note\na,100,100,"two\nlines"\nb,x,100,\n')
    result = invoke("run", AE, "--data", data)
    assert result.exit_code == EXIT_DATA
    assert f"{data}: row 3, column revenue: expected a decimal number" in result.output


def test_duplicate_column_names_are_an_error(tmp_path):
    data = write(tmp_path / "p.csv", "id,revenue,quota,revenue\na,1,100,2\n")
    result = invoke("run", AE, "--data", data)
    assert result.exit_code == EXIT_DATA
    assert f"{data}: header: column `revenue` appears twice (columns 2 and 4)" in result.output


def test_blank_lines_count_as_rows_as_in_a_spreadsheet(tmp_path):
    data = write(tmp_path / "p.csv", "id,revenue,quota\na,1,100\n\n\nb,oops,100\n")
    result = invoke("run", AE, "--data", data)
    assert result.exit_code == EXIT_DATA
    assert f"{data}: row 5, column revenue: expected a decimal number" in result.output


def test_a_cell_over_the_csv_field_limit_is_a_located_error(tmp_path):
    data = write(tmp_path / "p.csv", "id,revenue,quota\na,1,100\nb," + "9" * 200_000 + ",100\n")
    result = invoke("run", AE, "--data", data)
    assert result.exit_code == EXIT_DATA
    assert f"{data}: row 3: a cell is larger than the limit of" in result.output
    assert "_csv.Error" not in result.output


# ---- mappings, JSON, TOML ----------------------------------------------------------------------------------

def test_two_mapping_entries_onto_one_column_are_an_error(tmp_path):
    mapping = write(tmp_path / "m.toml", '[people.columns]\n"Rep" = "id"\n"Owner" = "id"\n')
    result = invoke("run", AE, "--data", AE_DATA, "--mapping", mapping)
    assert result.exit_code == EXIT_DATA
    assert f'{mapping}: [people.columns]: "Rep" and "Owner" both map onto column `id`' in result.output


def test_a_mapping_onto_a_column_the_file_already_has_is_an_error(tmp_path):
    mapping = write(tmp_path / "m.toml", '[people.columns]\n"Rev" = "revenue"\n')
    data = write(tmp_path / "p.csv", "id,revenue,quota,Rev\na,1,100,5\n")
    result = invoke("run", AE, "--data", data, "--mapping", mapping)
    assert result.exit_code == EXIT_DATA
    assert f"{data}: header: columns `revenue` and `Rev` both become `revenue`" in result.output


def test_deeply_nested_toml_is_a_located_error(tmp_path):
    mapping = write(tmp_path / "m.toml", "x = " + "[" * 50_000 + "]" * 50_000 + "\n")
    result = invoke("run", AE, "--data", AE_DATA, "--mapping", mapping)
    assert result.exit_code == EXIT_DATA
    assert f"{mapping}: not a mapping: arrays or tables are nested too deeply" in result.output


def test_duplicate_keys_in_a_json_object_are_an_error(tmp_path):
    data = write(tmp_path / "p.json", '[{"id": "a", "revenue": 1, "quota": 100},'
                                      ' {"id": "b", "revenue": 1, "revenue": 900000, "quota": 100}]')
    result = invoke("run", AE, "--data", data)
    assert result.exit_code == EXIT_DATA
    assert f"{data}: item 2: key `revenue` appears twice" in result.output


def test_deeply_nested_json_is_a_located_error(tmp_path):
    data = write(tmp_path / "p.json", "[" * 100_000 + "]" * 100_000)
    result = invoke("run", AE, "--data", data)
    assert result.exit_code == EXIT_DATA
    assert f"{data}: not a table: lists or objects are nested too deeply" in result.output


def test_a_lone_surrogate_in_a_json_id_is_a_located_data_error(tmp_path):
    data = write(tmp_path / "p.json", '[{"id": "a", "revenue": 1, "quota": 100},'
                                      ' {"id": "b\\ud800", "revenue": 1, "quota": 100}]')
    result = invoke("run", AE, "--data", data, "--format", "csv")
    assert result.exit_code == EXIT_DATA
    assert f"{data}: item 2, column id: the text `b\\ud800` is not Unicode text" in result.output


# ---- --output -------------------------------------------------------------------------------------------

def test_output_into_a_missing_directory_exits_2_and_writes_nothing(tmp_path):
    target = tmp_path / "no" / "such" / "out.csv"
    result = invoke("run", AE, "--data", AE_DATA, "--format", "csv", "--output", target)
    assert result.exit_code == EXIT_USAGE
    assert f"{target}: cannot write the output: the directory" in result.output and "does not exist" in result.output
    assert list(tmp_path.iterdir()) == []


def test_output_onto_a_directory_exits_2(tmp_path):
    result = invoke("run", AE, "--data", AE_DATA, "--output", tmp_path)
    assert result.exit_code == EXIT_USAGE
    assert f"{tmp_path}: cannot write the output: it is a directory" in result.output


def test_output_is_written_whole_keeping_permissions_and_untouched_on_failure(tmp_path):
    target = write(tmp_path / "out.csv", "old\n")
    os.chmod(target, 0o640)
    result = invoke("run", AE, "--data", AE_DATA, "--format", "csv", "--output", target)
    assert result.exit_code == 0, result.output
    assert target.read_text().startswith("payee,commission,kicker,total\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]  # no temporary file left behind
    bad = write(tmp_path / "bad.csv", "id,revenue,quota\na,x,1\n")
    before = target.read_text()
    assert invoke("run", AE, "--data", bad, "--format", "csv", "--output", target).exit_code == EXIT_DATA
    assert target.read_text() == before


def test_fmt_write_replaces_the_plan_whole(tmp_path):
    plan = write(tmp_path / "m.plan", 'plan "x" {currency USD   period month}\ncomponent c {pay 5 USD}\n')
    assert invoke("fmt", "--write", plan).exit_code == 0
    assert invoke("fmt", "--check", plan).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.plan"]


# ---- printing: no markup, no raw control characters --------------------------------------------------------

def test_paths_with_brackets_are_not_markup(tmp_path):
    folder = tmp_path / "[bold]"
    folder.mkdir()
    plan = folder / "[x].plan"
    plan.write_bytes(AE.read_bytes())
    result = invoke("check", plan)
    assert result.exit_code == 0 and f"ok  {plan}:" in result.output
    missing = folder / "[/x].plan"
    result = invoke("check", missing)
    assert result.exit_code == EXIT_USAGE
    assert f"{missing}: cannot read the plan: it does not exist" in result.output
    bad = write(folder / "[red]bad.plan", 'plan "x" { currency USD period month }\ncomponent c { pay 5 EUR }\n')
    result = invoke("check", bad)
    assert result.exit_code == EXIT_PLAN and f"{bad}:2:" in result.output


def test_ids_that_look_like_markup_or_emoji_print_as_they_are(tmp_path):
    data = write(tmp_path / "p.csv", "id,revenue,quota\n[bold]x[/bold],1,100\n[/oops],1,100\n:smile:,1,100\n")
    result = invoke("run", AE, "--data", data)
    assert result.exit_code == 0, result.output
    for pid in ("[bold]x[/bold]", "[/oops]", ":smile:"):
        assert pid in result.stdout
    result = invoke("run", AE, "--data", data, "--payee", "[/nobody]")
    assert result.exit_code == EXIT_DATA and "no payee with id [/nobody]" in result.output


def test_control_characters_in_ids_are_shown_escaped(tmp_path):
    data = tmp_path / "p.csv"
    data.write_bytes(b'id,revenue,quota\n\x1b[31mred,1,100\n"a\rb\x07",1,100\n')
    result = invoke("run", AE, "--data", data)
    assert result.exit_code == 0, result.output
    assert "\\x1b[31mred" in result.stdout and "a\\rb\\x07" in result.stdout
    assert not any(c in result.stdout for c in "\x1b\r\x07")
    csv_out = invoke("run", AE, "--data", data, "--format", "csv").stdout
    assert "\x1b[31mred" in csv_out  # CSV is data: ids as they are
    explained = invoke("run", AE, "--data", data, "--explain").stdout
    assert "\\x1b[31mred" in explained and "\x1b" not in explained


def test_control_characters_in_error_messages_are_shown_escaped(tmp_path):
    data = tmp_path / "p.csv"
    data.write_bytes(b"id,revenue,quota\n\x1b]0;pwned\x07,1,100\n\x1b]0;pwned\x07,2,100\n")
    result = invoke("run", AE, "--data", data)
    assert result.exit_code == EXIT_DATA
    assert f"{data}: row 3, column id: payee id `\\x1b]0;pwned\\x07` appears twice" in result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    odd = tmp_path / "a\x1b[2Jb\r.plan"
    result = invoke("check", odd)
    assert result.exit_code == EXIT_USAGE
    assert "a\\x1b[2Jb\\r.plan: cannot read the plan: it does not exist" in result.output
    assert "\x1b" not in result.output and "\r" not in result.output


def test_control_characters_in_plan_excerpts_are_shown_escaped(tmp_path):
    plan = write(tmp_path / "bad.plan", 'plan "x" { currency USD period month }\n'
                                        'component c { pay 5 EUR } # \x1b[2J\x07\n')
    result = invoke("check", plan)
    assert result.exit_code == EXIT_PLAN
    assert "\\x1b[2J\\x07" in result.output and "\x1b" not in result.output and "\x07" not in result.output


def test_shown_escapes_every_kind_of_control_character():
    assert shown("a\x1b[31m\r\n\t\x07\x9b\u202e\ud800z") == "a\\x1b[31m\\r\\n\\t\\x07\\x9b\\u202e\\ud800z"
    assert shown("line one\n\tline two\r", lines=True) == "line one\n\tline two\\r"
    assert shown("Zürich 北京 [x] :smile:") == "Zürich 北京 [x] :smile:"


# ---- last resort -----------------------------------------------------------------------------------------

def test_an_unexpected_error_is_one_line_and_exit_70(monkeypatch, capsys):
    from incentives.cli import schema

    def broken():
        raise RuntimeError("boom")
    monkeypatch.setattr(schema, "json_schema", broken)
    monkeypatch.setattr(sys, "argv", ["incentives", "schema"])
    with pytest.raises(SystemExit) as e:
        app_module.main()
    assert e.value.code == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: boom" in err and "Traceback" not in err


def test_the_console_program_reports_file_problems_without_a_traceback(tmp_path):
    out = cli("run", AE, "--data", tmp_path, "--format", "json")
    assert out.returncode == EXIT_USAGE and "Traceback" not in out.stderr
    assert f"{tmp_path}: cannot read the data file: it is a directory" in out.stderr
    assert json.loads(cli("schema").stdout)["title"]
