"""How the initiative's states are shown: words, a glyph beside them, and a colour.

One mapping per state, used by every page, report and export that shows one, so a state never
gets two colours. The colour always comes with the words (and mostly a glyph), never alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from fedimage.initiative.models import BlockerStatus, MilestoneStatus, Severity


@dataclass(frozen=True)
class Look:
    """How a state is shown: its words, a glyph, a class of static/css/fedimage.css and the
    colour's name (for charts and plain-text reports)."""

    label: str
    glyph: str
    css_class: str
    colour: str


def _looks(choices, table: dict[str, tuple[str, str, str]]) -> dict[str, Look]:
    return {value: Look(str(choices(value).label), *table[value]) for value in choices.values}


MILESTONE_STATUS = _looks(
    MilestoneStatus,
    {
        MilestoneStatus.NOT_STARTED: ("○", "status-not_started", "grey"),
        MilestoneStatus.ON_TRACK: ("●", "status-on_track", "blue"),
        MilestoneStatus.AT_RISK: ("▲", "status-at_risk", "amber"),
        MilestoneStatus.BLOCKED: ("■", "status-blocked", "red"),
        MilestoneStatus.DONE: ("✓", "status-done", "green"),
        MilestoneStatus.SLIPPED: ("↷", "status-slipped", "red"),
    },
)
BLOCKER_STATUS = _looks(
    BlockerStatus,
    {
        BlockerStatus.OPEN: ("○", "bstatus-open", "red"),
        BlockerStatus.IN_PROGRESS: ("◐", "bstatus-in_progress", "amber"),
        BlockerStatus.FIXED_UPSTREAM: ("↑", "bstatus-fixed_upstream", "blue"),
        BlockerStatus.RESOLVED: ("✓", "bstatus-resolved", "green"),
        BlockerStatus.WONT_FIX: ("⊘", "bstatus-wont_fix", "grey"),
    },
)
SEVERITY = _looks(
    Severity,
    {
        Severity.CRITICAL: ("!!", "sev-critical", "red"),
        Severity.MAJOR: ("!", "sev-major", "amber"),
        Severity.MINOR: ("·", "sev-minor", "grey"),
    },
)
# The migration matrix: a subproject's verdict, and each stage's cell.
VERDICT = {
    "done": Look("Migrated to production", "✓", "verdict done", "green"),
    "on-track": Look("On schedule", "●", "verdict on-track", "blue"),
    "behind": Look("Behind the plan", "✗", "verdict behind", "red"),
    "provider": Look("Provides the base images", "·", "verdict provider", "grey"),
}
MATRIX_CELL = {
    "reached": Look("Reached", "✓", "cell reached", "green"),
    "current": Look("Next", "→", "cell current", "blue"),
    "due": Look("Due", "·", "cell due", "grey"),
    "overdue": Look("Overdue", "✗", "cell overdue", "red"),
    "later": Look("Not yet", "·", "cell later", "grey"),
}
# A milestone past its target date and not done: no status of its own, shown one way everywhere.
MILESTONE_DUE = {"overdue": Look("Overdue", "✗", "status-blocked", "red")}
KINDS = {
    "milestone": MILESTONE_STATUS,
    "due": MILESTONE_DUE,
    "blocker": BLOCKER_STATUS,
    "severity": SEVERITY,
    "verdict": VERDICT,
    "cell": MATRIX_CELL,
}


def look(kind: str, value: str) -> Look:
    """How to show a `kind` of state's `value` (an unknown value: its own words, in grey)."""
    return KINDS[kind].get(value) or Look(str(value), "·", "", "grey")
