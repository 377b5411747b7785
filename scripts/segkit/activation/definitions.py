"""Destinations as code: ``destinations/<name>.yml``, validated like segments.

Every problem is reported with its file, line and key (and a did-you-mean), all files first,
then once: the same ``Diagnostic`` / ``DefinitionError`` the segment compiler uses.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "crm.yml").write_text(
...     "destination: crm\\ntype: webhook\\nurl: http://127.0.0.1:9000/hook\\n"
...     "segments: [vip]\\nidentifiers:\\n  email: {attribute: email, normalize: email, hash: sha256}\\n")
>>> [d.name for d in load_destinations(folder, {"vip"}, {"email": "string"})]
['crm']
>>> _ = (folder / "crm.yml").write_text("destination: crm\\ntype: webhok\\nsegments: [vipp]\\n")
>>> load_destinations(folder, {"vip"}, None)
Traceback (most recent call last):
...
segkit.language.errors.DefinitionError: crm.yml:2: unknown destination type 'webhok' (expected one of: webhook, file, postgres) (did you mean 'webhook'?)
crm.yml:3: unknown segment 'vipp' (did you mean 'vip'?)
crm.yml:1: 'identifiers' is required: what the channel matches profiles on, e.g. {email: {attribute: email, normalize: email, hash: sha256}}
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..language.errors import DefinitionError, Diagnostic, closest
from ..language.parse import UNREADABLE, parse_yaml_document
from ..language.parse_base import COLUMN_PATTERN, ParserBase, is_number, kind_name
from ..language.vocabulary import NAME_PATTERN
from ..language.yamlsource import LocatedDict, LocatedList
from .identifiers import HASHES, NORMALIZATIONS

TYPES = ("webhook", "file", "postgres")
FORMATS = ("csv", "jsonl", "parquet")
COMMON_KEYS = (
    "destination",
    "type",
    "description",
    "owner",
    "segments",
    "identifiers",
    "traits",
    "batch_size",
)
TYPE_KEYS = {
    "webhook": ("url", "secret_env", "timeout", "max_attempts"),
    "file": ("folder", "format"),
    "postgres": ("connection_env", "table"),
}
IDENTIFIER_KEYS = ("attribute", "normalize", "hash", "required", "country_code")
# A request of 500 changes is what ad and CRM APIs accept; a PostgreSQL transaction pays off
# bigger batches (scripts/segbench/sync_throughput.py).
DEFAULT_BATCH_SIZE = {"webhook": 500, "postgres": 5000}
MAX_BATCH_SIZE = 100_000
ENV_PATTERN = re.compile(r"^[A-Z_][A-Z0-9_]*$")
TABLE_PATTERN = re.compile(r"^([a-z_][a-z0-9_]*\.)?[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class Identifier:
    """One identifier a channel matches on: a profile attribute, normalized and hashed."""

    name: str
    attribute: str
    normalize: str = "none"
    hash: str = "none"
    required: bool = True
    country_code: str | None = None


@dataclass(frozen=True)
class Destination:
    """A validated destination. ``settings`` holds the keys of its type (url, folder, table …)."""

    name: str
    type: str
    file: str
    segments: tuple[str, ...]
    identifiers: tuple[Identifier, ...]
    traits: tuple[str, ...] = ()
    batch_size: int = 500
    settings: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    @property
    def attributes(self) -> tuple[str, ...]:
        """The profile columns a change carries: identifiers' attributes, then traits."""
        names = [i.attribute for i in self.identifiers] + list(self.traits)
        return tuple(dict.fromkeys(names))

    def definition_hash(self, segment: str) -> str:
        """What a channel's copy of a segment depends on: a change means a new snapshot.

        The batch size, retries and description do not change what the channel holds.
        """
        shape = {
            "type": self.type,
            "segment": segment,
            "identifiers": [asdict(i) for i in self.identifiers],
            "traits": list(self.traits),
            "target": {
                k: v
                for k, v in self.settings.items()
                if k in ("url", "folder", "format", "table", "connection_env")
            },
        }
        return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:16]


class DestinationParser(ParserBase):
    """Parses one destination file; ``d`` holds every finding."""

    def document(
        self,
        doc: Any,
        path: Path,
        segments: set[str],
        profile_columns: dict[str, str] | None,
    ) -> Destination | None:
        if not isinstance(doc, LocatedDict):
            self.d.error(1, "", f"a destination file is a mapping, got {kind_name(doc)}")
            return None
        name = self._name(doc, path)
        kind = self._type(doc)
        allowed = COMMON_KEYS + (
            TYPE_KEYS[kind] if kind else tuple(k for ks in TYPE_KEYS.values() for k in ks)
        )
        self._unknown_keys(doc, allowed, f"destination{f' of type {kind}' if kind else ''}")
        chosen = self._segments(doc, segments)
        identifiers = self._identifiers(doc, profile_columns)
        traits = self._traits(doc, profile_columns)
        batch_size = self._count(
            doc, "batch_size", DEFAULT_BATCH_SIZE.get(kind or "", 500), MAX_BATCH_SIZE
        )
        settings = self._settings(doc, kind) if kind else {}
        if self.d.has_errors or name is None or kind is None:
            return None
        return Destination(
            name=name,
            type=kind,
            file=self.d.file,
            segments=chosen,
            identifiers=identifiers,
            traits=traits,
            batch_size=batch_size,
            settings=settings,
            description=str(doc.get("description", "")),
        )

    # ------------------------------------------------------------ parts

    def _name(self, doc: LocatedDict, path: Path) -> str | None:
        name = doc.get("destination")
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            self.d.error(
                doc.line_of("destination"),
                "destination",
                "'destination' must be a name matching ^[a-z][a-z0-9_]{0,62}$, got "
                f"{kind_name(name)}",
            )
            return None
        if name != path.stem:
            self.d.error(
                doc.line_of("destination"),
                "destination",
                f"destination '{name}' must live in a file named {name}{path.suffix}, not {path.name}",
            )
        return name

    def _type(self, doc: LocatedDict) -> str | None:
        kind = doc.get("type")
        if kind in TYPES:
            return kind
        if "type" not in doc:
            self.d.error(doc.line, "type", f"'type' is required: one of {', '.join(TYPES)}")
        else:
            self.d.error(
                doc.line_of("type"),
                "type",
                f"unknown destination type {kind if isinstance(kind, str) else kind_name(kind)!r} "
                f"(expected one of: {', '.join(TYPES)})".replace('"', "'"),
                closest(str(kind), TYPES),
            )
        return None

    def _segments(self, doc: LocatedDict, known: set[str]) -> tuple[str, ...]:
        value, line = doc.get("segments"), doc.line_of("segments")
        if value == "*":
            return tuple(sorted(known))
        if (
            not isinstance(value, LocatedList)
            or not value
            or not all(isinstance(v, str) for v in value)
        ):
            self.d.error(
                line,
                "segments",
                f"'segments' must be a list of segment names or \"*\", got {kind_name(value)}",
            )
            return ()
        for index, segment in enumerate(value):
            if segment not in known:
                self.d.error(
                    value.line_of(index),
                    "segments",
                    f"unknown segment '{segment}'",
                    closest(segment, known),
                )
        if len(set(value)) != len(value):
            self.d.error(line, "segments", "'segments' lists a segment twice")
        return tuple(dict.fromkeys(value))

    def _identifiers(
        self, doc: LocatedDict, columns: dict[str, str] | None
    ) -> tuple[Identifier, ...]:
        if "identifiers" not in doc:
            self.d.error(
                doc.line,
                "identifiers",
                "'identifiers' is required: what the channel matches profiles on, e.g. "
                "{email: {attribute: email, normalize: email, hash: sha256}}",
            )
            return ()
        value = self._mapping(
            doc["identifiers"],
            doc.line_of("identifiers"),
            "identifiers",
            "a mapping of names to {attribute: ...}",
        )
        if value is None:
            return ()
        found: list[Identifier] = []
        for name, spec in value.items():
            line = value.line_of(name)
            if not COLUMN_PATTERN.match(name):
                self.d.error(
                    line, name, f"an identifier name is letters, digits and _, got '{name}'"
                )
                continue
            spec = self._mapping(
                spec, line, name, "{attribute: <column>, normalize: ..., hash: ...}"
            )
            if spec is None:
                continue
            self._unknown_keys(spec, IDENTIFIER_KEYS, f"identifier '{name}'")
            attribute = self._attribute(
                spec.get("attribute"), spec.line_of("attribute"), "attribute", columns
            )
            normalize = self._choice(spec, "normalize", NORMALIZATIONS, "none")
            hash_with = self._choice(spec, "hash", HASHES, "none")
            required = spec.get("required", True)
            if not isinstance(required, bool):
                self.d.error(
                    spec.line_of("required"),
                    "required",
                    f"'required' is true or false, got {kind_name(required)}",
                )
            country = spec.get("country_code")
            if country is not None and not (
                isinstance(country, int | str)
                and str(country).isdigit()
                and 1 <= len(str(country)) <= 3
            ):
                self.d.error(
                    spec.line_of("country_code"),
                    "country_code",
                    f"'country_code' is 1 to 3 digits (34, 44, 1), got {kind_name(country)}",
                )
            if attribute and normalize and hash_with:
                found.append(
                    Identifier(
                        name,
                        attribute,
                        normalize,
                        hash_with,
                        bool(required),
                        None if country is None else str(country),
                    )
                )
        if not found and not self.d.has_errors:
            self.d.error(value.line, "identifiers", "'identifiers' names at least one identifier")
        return tuple(found)

    def _traits(self, doc: LocatedDict, columns: dict[str, str] | None) -> tuple[str, ...]:
        value = doc.get("traits", [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.d.error(
                doc.line_of("traits"),
                "traits",
                f"'traits' must be a list of profile attributes, got {kind_name(value)}",
            )
            return ()
        lines = (
            value.line_of if isinstance(value, LocatedList) else (lambda _: doc.line_of("traits"))
        )
        return tuple(
            name
            for index, name in enumerate(value)
            if self._attribute(name, lines(index), "traits", columns)
        )

    def _attribute(
        self, name: Any, line: int, key: str, columns: dict[str, str] | None
    ) -> str | None:
        if not isinstance(name, str) or not COLUMN_PATTERN.match(name):
            self.d.error(
                line,
                key,
                f"'{key}' names a profile attribute (a column of raw.profiles), got {kind_name(name)}",
            )
            return None
        if columns is not None and name not in columns:
            self.d.error(
                line,
                key,
                f"unknown profile attribute '{name}' (not a column of raw.profiles)",
                closest(name, columns),
            )
            return None
        return name

    def _choice(
        self, spec: LocatedDict, key: str, allowed: tuple[str, ...], default: str
    ) -> str | None:
        value = spec.get(key, default)
        if value in allowed:
            return value
        self.d.error(
            spec.line_of(key),
            key,
            f"'{key}' must be one of {', '.join(allowed)}, got {kind_name(value)}",
            closest(str(value), allowed),
        )
        return None

    def _count(self, doc: LocatedDict, key: str, default: int, maximum: int) -> int:
        value = doc.get(key, default)
        if not is_number(value) or int(value) != value or not 1 <= value <= maximum:
            self.d.error(
                doc.line_of(key),
                key,
                f"'{key}' must be a whole number from 1 to {maximum:,}, got {kind_name(value)}",
            )
            return default
        return int(value)

    def _settings(self, doc: LocatedDict, kind: str) -> dict[str, Any]:
        if kind == "webhook":
            url = doc.get("url")
            parts = urlsplit(url) if isinstance(url, str) else None
            if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
                self.d.error(
                    doc.line_of("url"),
                    "url",
                    f"'url' must be an http:// or https:// address, got {kind_name(url)}",
                )
            settings: dict[str, Any] = {"url": url}
            if "secret_env" in doc:
                settings["secret_env"] = self._env_name(doc, "secret_env")
            settings["timeout"] = self._count(doc, "timeout", 10, 300)
            settings["max_attempts"] = self._count(doc, "max_attempts", 6, 20)
            return settings
        if kind == "file":
            folder = doc.get("folder")
            if not isinstance(folder, str) or not folder.strip():
                self.d.error(
                    doc.line_of("folder"),
                    "folder",
                    f"'folder' is the folder files are written to, got {kind_name(folder)}",
                )
            file_format = doc.get("format", "jsonl")
            if file_format not in FORMATS:
                self.d.error(
                    doc.line_of("format"),
                    "format",
                    f"'format' must be one of {', '.join(FORMATS)}, got {kind_name(file_format)}",
                    closest(str(file_format), FORMATS),
                )
            return {"folder": folder, "format": file_format}
        table = doc.get("table", "segment_members")
        if not isinstance(table, str) or not TABLE_PATTERN.match(table):
            self.d.error(
                doc.line_of("table"),
                "table",
                f"'table' is a lowercase table name, optionally schema.table, got {kind_name(table)}",
            )
        if "connection_env" not in doc:
            self.d.error(
                doc.line,
                "connection_env",
                "'connection_env' is required: the environment variable holding the PostgreSQL connection string",
            )
        return {
            "table": table,
            "connection_env": self._env_name(doc, "connection_env")
            if "connection_env" in doc
            else None,
        }

    def _env_name(self, doc: LocatedDict, key: str) -> str | None:
        value = doc.get(key)
        if isinstance(value, str) and ENV_PATTERN.match(value):
            return value
        self.d.error(
            doc.line_of(key),
            key,
            f"'{key}' names an environment variable (UPPER_CASE), got {kind_name(value)}",
        )
        return None


def destination_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())


def load_destinations(
    folder: Path,
    segments: set[str],
    profile_columns: dict[str, str] | None,
    root: Path | None = None,
) -> list[Destination]:
    """Every destination under ``folder``; raises DefinitionError with every problem found."""
    diagnostics: list[Diagnostic] = []
    found: dict[str, Destination] = {}
    for path in destination_files(folder):
        display = (
            str(path.relative_to(root))
            if root is not None and path.is_relative_to(root)
            else str(path.relative_to(folder))
        )
        parser = DestinationParser(display)
        doc = parse_yaml_document(path, parser.d)
        if doc is not UNREADABLE:
            destination = parser.document(doc, path, segments, profile_columns)
            if destination is not None:
                found[destination.name] = destination
        diagnostics.extend(parser.d.items)
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        raise DefinitionError(errors)
    return list(found.values())
