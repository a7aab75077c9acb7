"""Which plan is in force for a period, and whether the period fits it.

Plan files with the same plan name are versions of one plan: each says its `effective` dates,
and a run uses the version whose dates hold the whole period.  A period must match the plan's
period kind (a monthly plan pays months) unless the plan says `partial periods`; either way it
must lie inside the effective dates.
"""

from __future__ import annotations

from dataclasses import dataclass

from incentives.engine.calendar import Period
from incentives.errors import DataError, Problem
from incentives.plan import Plan


@dataclass(frozen=True)
class PlanSet:
    """Plans by name, each with its versions ordered by their first effective day."""

    versions: dict[str, list[Plan]]

    @classmethod
    def of(cls, plans: list[Plan]) -> "PlanSet":
        by_name: dict[str, list[Plan]] = {}
        for p in plans:
            by_name.setdefault(p.name, []).append(p)
        problems = []
        for name, versions in by_name.items():
            if len(versions) > 1:
                undated = [v for v in versions if v.ir.effective is None]
                for v in undated:
                    problems.append(Problem(f"{v.source.name}: plan \"{name}\" has several versions: each must "
                                            f"say its `effective` dates", code="versions", file=v.source.name))
                dated = sorted((v for v in versions if v.ir.effective is not None), key=lambda v: v.ir.effective)
                for a, b in zip(dated, dated[1:]):
                    if b.ir.effective[0] <= a.ir.effective[1]:
                        problems.append(Problem(
                            f"{b.source.name}: plan \"{name}\" is in force from {b.ir.effective[0]}, but the version "
                            f"in {a.source.name} runs to {a.ir.effective[1]}: versions may not overlap",
                            code="versions", file=b.source.name))
                versions.sort(key=lambda v: v.ir.effective or ())
        if problems:
            raise DataError(problems)
        return cls(by_name)

    @property
    def names(self) -> list[str]:
        return list(self.versions)

    def in_force(self, name: str, period: Period) -> Plan:
        """The version of the plan for the period; DataError saying why none fits."""
        versions = self.versions[name]
        for v in versions:
            if fits(v, period) is None:
                return v
        reasons = "; ".join(f"{v.source.name}: {fits(v, period)}" for v in versions)
        raise DataError([Problem(f"plan \"{name}\" cannot pay {period.label}: {reasons}", code="period")])


def fits(plan: Plan, period: Period) -> str | None:
    """Why the plan cannot pay the period, or None when it can."""
    ir = plan.ir
    if ir.effective is not None:
        start, end = ir.effective
        if period.start < start or period.end > end:
            return f"it is in force from {start} to {end}, and {period.label} runs from {period.start} to {period.end}"
    if period.kind != ir.period and not ir.partial:
        example = {"month": "2027-03", "quarter": "2027-Q1", "half": "2027-H1", "year": "2027"}.get(ir.period, "")
        return (f"it pays by {ir.period} ({example}), and {period.label} is "
                f"{'a ' + period.kind if period.kind != 'range' else 'a range of dates'}; say `partial periods` in "
                f"the plan's header to allow other periods")
    return None
