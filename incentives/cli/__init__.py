"""The `incentives` command: one module per command (`check`, `run`, `fmt`, `test`, `schema`);
exit codes, safe printing, plan reading and output writing shared in `common`; the typer
application and `main` in `app`."""
