"""A fuzz harness for the plan language: mutate every bundled plan, run every stage on each mutant.

Mutations (seeded, reproducible): token edits (delete, duplicate, swap, replace with a token of
the plan, a keyword or an operator), line edits (delete, duplicate, swap, re-indent), truncation,
Unicode (non-ASCII letters, combining marks, RTL marks, zero-width characters, lone surrogates,
control characters, terminal escapes), deep nesting (`((((...))))`, `a + a + ...`, `- - - a`,
`not not ... a`, up to 10,000 deep) and huge literals (4,301+ digits, 10^26 and 10^29 USD).

Stages: parse, `fmt` (format(format(x)) == format(x), and the formatted text parses to the same
plan), check, compile, and for plans that compile the plan's own examples and properties
(`run_plan_tests`, a few hypothesis examples each) and one payee run from the declared inputs,
explained and rendered.

The only acceptable outcomes are success and a project error (PlanError, DataError,
EvaluationError) whose every problem is located.  Anything else is a crash: another exception, an
unlocated error, a formatter that is not idempotent or changes the plan, or a mutant over its
time budget (10 s).  Crashes are grouped into classes by exception type and the innermost frame in
the project's code; the first mutant of each class is shrunk (whole lines dropped while it crashes
the same way) and printed so it can be pasted into a test (as a Python string literal when it
holds characters that do not print).

The short run is part of the test suite (tests/fuzz/test_fuzz.py).  The long run:

    python -m tests.fuzz --mutants 50000 --seed N

(options: --evaluate-every K runs the plan's tests on every Kth mutant that compiles, which is
the slow stage; --budget SECONDS per mutant; --max-examples per property; --no-shrink;
--show CHARS of each crashing mutant).  It prints the count of mutants, the outcomes by kind and
each crash class with its count and one example, and exits 1 when there is a crash class.
"""
