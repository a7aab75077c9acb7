"""The columnar evaluator: a plan over a whole table of payees at once, exactly.

It evaluates the same IR as the row evaluator (`incentives.engine`), over numpy columns of exact
int64 fixed point (`values`), and gives the row evaluator's amounts to the cent for every payee:
what it cannot decide exactly it hands back to the row evaluator, row by row or (for a line it
does not do) for the whole run, and says so.  Owns: column values and their arithmetic
(`values`, `rounding`), expressions (`expr`), bands (`bands`), component lines (`lines`), tables
in and out (`tables`), the population stages (`groups`) and the run (`run`).
"""

from .run import TableResult

__all__ = ["TableResult"]
