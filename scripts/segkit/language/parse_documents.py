"""The files: a segment (with its splits) or a propensity model, named after its file."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from . import nodes as n
from .errors import closest
from .parse_base import (
    COLUMN_PATTERN,
    PROPERTY_PATTERN,
    TAG_PATTERN,
    is_number,
    kind_name,
    plain,
)
from .parse_conditions import ConditionParser
from .vocabulary import (
    NAME_PATTERN,
    PROPENSITY_DIRECTIONS,
    PROPENSITY_MODEL_KEYS,
    SEGMENT_KEYS,
)
from .yamlsource import LocatedDict, LocatedList


class FileParser(ConditionParser):
    """Parses one file into a definition; ``d`` holds every finding."""

    def splits(self, doc: LocatedDict) -> tuple[n.Split, ...]:
        """``splits: [{name: treatment, percent: 90}, {name: holdout, percent: 10}]``."""
        if "splits" not in doc:
            return ()
        items, line = doc["splits"], doc.line_of("splits")
        if not isinstance(items, LocatedList) or len(items) < 2:
            self.d.error(
                line,
                "splits",
                "'splits' must list at least two splits: [{name: a, percent: 50}, ...]",
            )
            return ()
        splits: list[n.Split] = []
        for index, item in enumerate(items):
            item_line = items.line_of(index)
            if not isinstance(item, LocatedDict) or set(item) != {"name", "percent"}:
                self.d.error(item_line, "splits", "each split is {name: <name>, percent: <0-100>}")
                return ()
            name, percent = item["name"], item["percent"]
            if not isinstance(name, str) or not NAME_PATTERN.match(name):
                self.d.error(
                    item.line_of("name"),
                    "name",
                    f"a split name is lowercase letters, digits and _, got {kind_name(name)}",
                )
                return ()
            if (
                not is_number(percent)
                or not 0 < percent <= 100
                or round(percent * 100) != percent * 100
            ):
                self.d.error(
                    item.line_of("percent"),
                    "percent",
                    f"'percent' must be a number above 0 with at most 2 decimals, got {kind_name(percent)}",
                )
                return ()
            if name in {s.name for s in splits}:
                self.d.error(item.line_of("name"), "name", f"split '{name}' is listed twice")
                return ()
            splits.append(n.Split(name, float(percent)))
        total = sum(s.percent for s in splits)
        if round(total * 100) != 10000:
            self.d.error(
                line, "splits", f"split percentages must add up to 100, they add up to {total:g}"
            )
            return ()
        return tuple(splits)

    # ------------------------------------------------------------ the file

    def document(self, doc: Any, path: Path, text: str) -> n.Definition | None:
        """A file defines a segment, or a propensity model when its first key says so."""
        # The md5 of the file's bytes: dbt's freshness check hashes the same bytes.
        source_hash = hashlib.md5(text.encode("utf-8")).hexdigest()
        if isinstance(doc, LocatedDict) and "propensity_model" in doc:
            return self.propensity_model(doc, path, source_hash)
        return self.segment(doc, path, source_hash)

    def _name(self, doc: LocatedDict, key: str, what: str, path: Path) -> str | None:
        name = doc.get(key)
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            self.d.error(
                doc.line_of(key),
                key,
                f"'{key}' must be a name matching ^[a-z][a-z0-9_]{{0,62}}$ "
                f"(lowercase letters, digits, underscores), got {kind_name(name)}",
            )
            return None
        if name != path.stem:
            self.d.error(
                doc.line_of(key),
                key,
                f"{what} '{name}' must live in a file named {name}{path.suffix} "
                f"(one definition per file, named after it), not {path.name}",
            )
        return name

    def _names(
        self, doc: LocatedDict, key: str, pattern: re.Pattern[str], what: str
    ) -> tuple[str, ...]:
        values = doc.get(key, [])
        if not isinstance(values, list) or not all(
            isinstance(v, str) and pattern.match(v) for v in values
        ):
            self.d.error(doc.line_of(key), key, f"'{key}' must be a list of {what}")
            return ()
        if len(set(values)) != len(values):
            self.d.error(doc.line_of(key), key, f"'{key}' lists a name twice")
            return ()
        return tuple(values)

    def eligible(self, value: Any, line: int) -> n.Node | None:
        """A condition evaluated at the training cutoff and at as_of: no sequences or references."""
        condition = self.condition(value, line)
        if condition is None:
            return None
        for node in n.walk(condition):
            if node.condition and not node.eligible:
                self.d.error(
                    node.line,
                    node.kind,
                    f"'eligible' is evaluated at the training cutoff and at as_of, so it uses "
                    f"{', '.join(n.eligible_kinds())} conditions only, not '{node.kind}'",
                )
                return None
        return condition

    def propensity_model(
        self, doc: LocatedDict, path: Path, source_hash: str
    ) -> n.PropensityModel | None:
        self._unknown_keys(doc, PROPENSITY_MODEL_KEYS, "a propensity model file")
        name = self._name(doc, "propensity_model", "propensity model", path)
        description = doc.get("description")
        if not isinstance(description, str) or not description.strip():
            self.d.error(
                doc.line_of("description"),
                "description",
                "'description' is required: say what the model predicts",
            )
        goal = None
        if "goal" not in doc:
            self.d.error(
                doc.line, "goal", "'goal' is required: the event to predict, e.g. {event: purchase}"
            )
        else:
            spec = self._mapping(
                doc["goal"],
                doc.line_of("goal"),
                "goal",
                "an event matcher {event: ..., where: ...}",
            )
            if spec is not None:
                self._unknown_keys(spec, ("event", "where"), "'goal'")
                goal = self.matcher(spec, "'goal'")
        window = None
        if "prediction_window" not in doc:
            self.d.error(doc.line, "prediction_window", "'prediction_window' is required, e.g. 90d")
        else:
            window = self.duration(
                doc["prediction_window"], doc.line_of("prediction_window"), "prediction_window"
            )
            if window is not None and window.seconds < 86400:
                self.d.error(
                    doc.line_of("prediction_window"),
                    "prediction_window",
                    "'prediction_window' must be at least 1d",
                )
        direction = doc.get("direction", "conversion")
        if direction not in PROPENSITY_DIRECTIONS:
            self.d.error(
                doc.line_of("direction"),
                "direction",
                f"'direction' is conversion (the goal will happen) or churn (it will not), "
                f"got {kind_name(direction)}",
                closest(str(direction), PROPENSITY_DIRECTIONS),
            )
        eligible = None
        if "eligible" in doc:
            eligible = self.eligible(doc["eligible"], doc.line_of("eligible"))
        attributes = self._names(doc, "attributes", COLUMN_PATTERN, "profile columns")
        custom_events = self._names(doc, "custom_events", re.compile(r"^\S+$"), "event types")
        value_property = doc.get("value_property", "revenue")
        if not isinstance(value_property, str) or not PROPERTY_PATTERN.match(value_property):
            self.d.error(
                doc.line_of("value_property"),
                "value_property",
                "'value_property' must name the goal events' money property, e.g. revenue",
            )
        owner = doc.get("owner")
        if owner is not None and not isinstance(owner, str):
            self.d.error(doc.line_of("owner"), "owner", "'owner' must be a name")
        if self.d.has_errors or name is None or goal is None or window is None:
            return None
        return n.PropensityModel(
            name=name,
            file=self.d.file,
            line=doc.line_of("propensity_model"),
            description=description.strip(),
            goal=goal,
            prediction_window=window,
            direction=direction,
            eligible=eligible,
            attributes=attributes,
            custom_events=custom_events,
            value_property=value_property,
            raw=plain(doc),
            source_hash=source_hash,
        )

    def segment(self, doc: Any, path: Path, source_hash: str) -> n.SegmentDefinition | None:
        if not isinstance(doc, LocatedDict):
            self.d.error(
                1,
                "segment",
                "a segment file is a mapping with 'segment', 'description' and 'condition'",
            )
            return None
        self._unknown_keys(doc, SEGMENT_KEYS, "a segment file")
        name = self._name(doc, "segment", "segment", path)
        description = doc.get("description")
        if not isinstance(description, str) or not description.strip():
            self.d.error(
                doc.line_of("description"),
                "description",
                "'description' is required: say who is in the segment",
            )
        owner = doc.get("owner")
        if owner is not None and not isinstance(owner, str):
            self.d.error(doc.line_of("owner"), "owner", "'owner' must be a name")
        tags = doc.get("tags", [])
        if not isinstance(tags, list) or not all(
            isinstance(t, str) and TAG_PATTERN.match(t) for t in tags
        ):
            self.d.error(
                doc.line_of("tags"),
                "tags",
                "'tags' must be a list of names (letters, digits, _ and -), e.g. [email, vip]",
            )
            tags = []
        splits = self.splits(doc)
        if "condition" not in doc:
            self.d.error(
                doc.line, "condition", "'condition' is required: exactly one condition node"
            )
            return None
        condition = self.condition(doc["condition"], doc.line_of("condition"))
        if self.d.has_errors or condition is None:
            return None
        return n.SegmentDefinition(
            name=name,
            file=self.d.file,
            line=doc.line_of("segment"),
            description=description.strip(),
            owner=owner,
            tags=tuple(tags),
            condition=condition,
            raw=plain(doc),
            source_hash=source_hash,
            splits=splits,
        )
