"""The `incentives` command: one module per command (`check`, `run`, `fmt`, `test`, `schema`),
shared options, exit codes and error printing in `common`, the typer application in `app`."""
