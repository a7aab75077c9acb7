"""A pytest plugin: plan files are collected as tests, failures reported in plan terms.

Configure the directories in pytest's ini file::

    [tool.pytest.ini_options]
    testpaths = ["tests", "plans"]
    incentives_plans = ["plans"]
    incentives_seed = 1          # optional: fixed inputs; otherwise a new seed each session

Each example and each property of every `*.plan` file under those directories
becomes a test item; a plan that does not check becomes one failing item.
The seed is printed in the session header; `--incentives-seed N` overrides it.

Example counts: a property tries `incentives_max_examples` inputs (200 unless set).  A project
whose `over deals` properties are too slow for every run sets `incentives_quick_examples`: those
properties then try that many inputs, and `pytest --full` brings back `incentives_max_examples`
for them.  Under pytest-xdist every worker uses the controller's seed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dsl import PlanError

from incentives.engine.compiled import CompiledPlan
from incentives.plan import load_plan
from .runner import DEFAULT_EXAMPLES, Outcome, check_property, new_seed, run_example

_SEED = pytest.StashKey[int]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("incentives_plans", "directories whose *.plan files are collected as tests", type="paths",
                  default=[])
    parser.addini("incentives_seed", "seed for the inputs properties are checked with", default="")
    parser.addini("incentives_max_examples", "inputs tried per property", default=str(DEFAULT_EXAMPLES))
    parser.addini("incentives_quick_examples", "inputs tried per `over deals` property unless --full is given "
                  "(empty: incentives_max_examples)", default="")
    parser.addoption("--incentives-seed", type=int, default=None, help="seed for plan properties")
    parser.addoption("--full", action="store_true", default=False,
                     help="full example counts: plan properties try incentives_max_examples inputs "
                          "(not incentives_quick_examples); conftest files may read it for their own tests too")


def pytest_configure(config: pytest.Config) -> None:
    seed = config.getoption("--incentives-seed")
    workerinput = getattr(config, "workerinput", None)  # a pytest-xdist worker: the controller chose the seed
    if seed is None and workerinput is not None and "incentives_seed" in workerinput:
        seed = workerinput["incentives_seed"]
    if seed is None:
        ini = config.getini("incentives_seed")
        seed = int(ini) if ini else new_seed()
    config.stash[_SEED] = seed


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """pytest-xdist: hand the controller's seed to each worker, so that a seed drawn at random is
    the one printed in the header and the one to repeat with."""
    node.workerinput["incentives_seed"] = node.config.stash[_SEED]


def examples_per_property(config: pytest.Config, prop) -> int:
    """Inputs a plan property tries: `incentives_quick_examples` for `over deals` properties when
    that is set and --full is not given, else `incentives_max_examples`."""
    quick = config.getini("incentives_quick_examples")
    if quick and (getattr(prop, "over_deals", False) or getattr(prop, "over_periods", False)) \
            and not config.getoption("--full"):
        return int(quick)
    return int(config.getini("incentives_max_examples"))


def pytest_report_header(config: pytest.Config) -> str | None:
    if config.getini("incentives_plans"):
        quick = config.getini("incentives_quick_examples")
        counts = (f"{config.getini('incentives_max_examples')} inputs a property"
                  + (f", {quick} over deals (--full: all {config.getini('incentives_max_examples')})"
                     if quick and not config.getoption("--full") else ""))
        return f"incentives: plan properties use seed {config.stash[_SEED]} (--incentives-seed to repeat); {counts}"
    return None


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.suffix != ".plan":
        return None
    roots = [Path(p).resolve() for p in parent.config.getini("incentives_plans")]
    path = file_path.resolve()
    if any(path == root or root in path.parents for root in roots):
        return PlanFile.from_parent(parent, path=file_path)
    return None


class PlanFile(pytest.File):
    def collect(self):
        try:
            compiled = load_plan(self.path)
        except PlanError as e:
            yield PlanCheckItem.from_parent(self, name="check", error=e)
            return
        for ex in compiled.ir.examples:
            yield PlanTestItem.from_parent(self, name=f"example: {ex.label}", compiled=compiled, test=ex,
                                           line=ex.span.line)
        for prop in compiled.ir.properties:
            yield PlanTestItem.from_parent(self, name=f"property: {prop.label}", compiled=compiled, test=prop,
                                           line=prop.span.line)


class PlanTestFailure(Exception):
    def __init__(self, outcome: Outcome, seed: int | None):
        super().__init__(outcome.message)
        self.outcome = outcome
        self.seed = seed


class PlanTestItem(pytest.Item):
    def __init__(self, *, compiled: CompiledPlan, test, line: int, **kwargs):
        super().__init__(**kwargs)
        self.compiled = compiled
        self.test = test
        self.line = line

    def runtest(self) -> None:
        if self.name.startswith("example"):
            outcome, seed = run_example(self.compiled, self.test), None
        else:
            seed = self.config.stash[_SEED]
            examples = examples_per_property(self.config, self.test)
            outcome = check_property(self.compiled, self.test, seed, examples)
        if not outcome.passed:
            raise PlanTestFailure(outcome, seed)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, PlanTestFailure):
            failure = excinfo.value
            text = f"{failure.outcome.title} failed\n{failure.outcome.message}"
            if failure.seed is not None:
                text += f"\nrepeat with: pytest --incentives-seed {failure.seed}"
            return text
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, self.line - 1, f"{self.path.name}: {self.name}"


class PlanCheckItem(pytest.Item):
    def __init__(self, *, error: PlanError, **kwargs):
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        raise self.error

    def repr_failure(self, excinfo, style=None):
        return f"the plan does not check:\n{self.error.render()}"

    def reportinfo(self):
        return self.path, 0, f"{self.path.name}: check"
