"""What incremental evaluation must watch besides new events and changed attributes.

The kinds add to it (``Node.watch``): every window whose bounds move with as_of (events in the
band between the old and the new bound can change a verdict), then_not deadlines, date attributes
compared with windows, and what cannot be updated at all (those definitions are evaluated in
full every run). The macro ``changed_profiles`` reads its data form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .values import Duration, Window


@dataclass
class Changes:
    """What the definitions watch, collected one segment at a time.

    >>> from segkit.language.values import Duration, Window
    >>> changes = Changes(segment="lapsed")
    >>> changes.event_window(Window("last", duration=Duration(30, "d")))
    >>> changes.needs_full_evaluation("a window on property paid_at")
    >>> changes.to_data()["event_windows"], changes.to_data()["full_only"]
    ([{'window': {'kind': 'last', 'seconds': 2592000}, 'widen_days': 0}], ['lapsed: a window on property paid_at'])
    """

    segment: str = ""
    event_windows: list[dict[str, Any]] = field(default_factory=list)
    attribute_windows: list[dict[str, Any]] = field(default_factory=list)
    deadlines: set[int] = field(default_factory=set)
    full_only: list[str] = field(default_factory=list)

    def event_window(self, window: Window, widen_days: int = 0) -> None:
        """Events whose time (or value, widened by days) a bound of this window moved past."""
        item = {"window": window.to_data(), "widen_days": widen_days}
        if item not in self.event_windows:
            self.event_windows.append(item)

    def attribute_window(self, column: str, window: Window) -> None:
        """Profiles whose date attribute a bound of this window moved past."""
        item = {"column": column, "window": window.to_data()}
        if item not in self.attribute_windows:
            self.attribute_windows.append(item)

    def then_not_deadline(self, within: Duration) -> None:
        """Chains whose then_not deadline passed since the last evaluation."""
        self.deadlines.add(within.seconds)

    def needs_full_evaluation(self, reason: str) -> None:
        """This segment cannot be updated: every run evaluates the project in full."""
        self.full_only.append(f"{self.segment}: {reason}")

    def to_data(self) -> dict[str, Any]:
        return {
            "event_windows": self.event_windows,
            "then_not_deadlines": sorted(self.deadlines),
            "attribute_windows": self.attribute_windows,
            "full_only": self.full_only,
        }
