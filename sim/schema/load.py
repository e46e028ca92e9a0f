"""Scenario files: YAML loading with ``extends:``, and errors that name file, line and key.

>>> s = load_scenario("baseline")
>>> s.name, s.horizon.start, s.horizon.end
('baseline', 2020, 2035)

A scenario file may start with ``extends: NAME`` (a scenario in the same folder,
or a path relative to the file); the child overrides only what it names, and writes its own
``title`` (refused without one). Mappings merge key by key; a series is replaced whole, and so is
an ``uncertainty:`` block: a child that writes one replaces its parent's (ranges argued for one
base year and its evidence are not mixed, entry by entry, with another's). A list is replaced
whole too (a warning when that drops the parent's records); ``+key:`` appends the child's items
to the parent's list instead.

Allowed but rarely meant, and so in ``Loaded.warnings`` (file, line, key): a list of records that
replaces the parent's, a growth that takes a series below half (or above four times) its value
within the horizon. An uncertainty on a series must say its ``apply:``; on a number it is set.

Hostile or broken input is refused with one ``ScenarioError`` (file, line, key, hint) before it
can cost time or memory: a file is at most 1 MB (checked before it is read), nested at most 50
levels, and holds at most 20,000 values once YAML aliases (``*name``) are expanded (counted while
expanding, so an alias bomb stops at the limit); keys are names (or years and ages where a
section takes those); every number is finite and of plausible size (|x| ≤ 1e15).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import numpy as np
from pydantic import BaseModel, ValidationError

from ..core.errors import ScenarioError
from ..core.paths import scenario_dir
from ..core.series import (
    FINITE_HINT,
    GROWTH_HINT,
    MAX_MAGNITUDE,
    Series,
    SeriesError,
    check_number,
    show_number,
)
from .fields import NAME_PATTERN, NAME_RULE, check_name, series_bounds
from .finance import check_projects
from .paths import resolve
from .scenario import Scenario

# Limits on a scenario file (the shipped baseline: 24 kB, ~900 values, 6 levels deep).
MAX_FILE_BYTES = 1_000_000  # checked before the file is read
MAX_DEPTH = 50  # levels of nested mappings and lists
# values (keys' values, list items, mappings) in all files of an extends chain, aliases expanded;
# a file that reaches the limit is read (libyaml) and refused in a few tens of milliseconds
MAX_NODES = 20_000
MAX_EXTENDS = 20  # files in an extends chain
DATA_HINT = "a scenario names its data files (CSV in data/) instead of holding data"


# ---------------------------------------------------------------------- loading
@dataclass
class Loaded:
    """A scenario with where each of its keys was written."""

    scenario: Scenario
    path: Path
    chain: list[Path]  # the file and every file it extends, child first
    origins: dict[tuple, tuple[Path, int]] = field(default_factory=dict)
    raw: dict = field(default_factory=dict)
    # things that are allowed but rarely meant (a list that replaces the parent's, a growth that
    # more than halves a series): one line each, ``file:line: key: message`` and a hint
    warnings: list[str] = field(default_factory=list)

    def resolved(self) -> dict:
        """The merged scenario with every default spelled out, as plain data."""
        return self.scenario.model_dump(mode="python")

    def digest(self, extra_files: list[Path] = ()) -> str:
        """A hash of the resolved scenario and the data files it reads."""
        h = hashlib.sha256(json.dumps(_str_keys(self.resolved()), sort_keys=True, default=str).encode())
        for f in sorted(extra_files):
            h.update(f.name.encode())
            h.update(Path(f).read_bytes())
        return h.hexdigest()


def _str_keys(x):
    if isinstance(x, dict):
        return {str(k): _str_keys(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_str_keys(v) for v in x]
    return x


def find_scenario(ref: str | Path, relative_to: Path | None = None) -> Path:
    """A scenario reference (a path, or a name in ``scenarios/``) → its file."""
    ref = str(ref)
    candidates = []
    base = relative_to if relative_to is not None else Path.cwd()
    p = Path(ref)
    candidates.append(p if p.is_absolute() else base / p)
    if not ref.endswith((".yaml", ".yml")):
        candidates.append(base / f"{ref}.yaml")
        candidates.append(scenario_dir() / f"{ref}.yaml")
    for c in candidates:
        if c.is_file():
            return c.resolve()
    known = sorted(f.stem for f in scenario_dir().glob("*.yaml"))
    close = difflib.get_close_matches(Path(ref).stem, known, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"known scenarios: {', '.join(known)}"
    raise ScenarioError(f"no scenario '{ref}'", hint=hint)


class _TooManyNodes(Exception):
    def __init__(self, line: int):
        self.line = line


class _Unreadable:
    """A scalar that cannot be constructed (an int of 5,000 digits, a bad timestamp, an unknown
    tag); ``_plain`` reports it with its key."""

    def __init__(self, message: str, line: int):
        self.message, self.line = message, line


class _ComposeError(Exception):
    """A structural problem found while composing (too deep, an undefined alias, two documents)."""

    def __init__(self, message: str, line: int, hint: str):
        self.message, self.line, self.hint = message, line, hint


class _Map:
    """A composed YAML mapping: (key, value, line of the key) in file order; a key or value is a
    constructed scalar, a ``_Map`` or a ``_Seq`` (the same object again where an alias repeats it)."""

    __slots__ = ("pairs", "key", "key_line")

    def __init__(self):
        self.pairs: list[tuple[Any, Any, int]] = []
        self.key: Any = _NO_KEY
        self.key_line = 0

    def add(self, value, line: int) -> None:
        if self.key is _NO_KEY:
            self.key, self.key_line = value, line
        else:
            self.pairs.append((self.key, value, self.key_line))
            self.key = _NO_KEY


class _Seq:
    """A composed YAML sequence: (item, line of the item) in file order."""

    __slots__ = ("items",)

    def __init__(self):
        self.items: list[tuple[Any, int]] = []

    def add(self, value, line: int) -> None:
        self.items.append((value, line))


_NO_KEY = object()
_MERGE = type("_Merge", (), {"__repr__": lambda self: "<<"})()  # the merge key `<<`

# YAML 1.2 scalars, resolved as ruamel.yaml resolves them (it is the YAML scenarios were written for)
_T = "tag:yaml.org,2002:"
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
_INT = re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+)$")
_NULL = ("", "~", "null", "Null", "NULL")
_TIMESTAMP = re.compile(
    r"""^(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})
    (?:(?:[Tt]|[ \t]+)(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})
    (?:\.(?P<fraction>[0-9]*))?
    (?:[ \t]*(?P<tz>Z|(?P<tz_sign>[-+])(?P<tz_hour>[0-9]{1,2})(?::(?P<tz_minute>[0-9]{2}))?))?)?$""",
    re.X,
)
_TIMESTAMP_SHAPE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$|^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)")


def _resolve(value: str) -> str:
    """The tag of a plain (unquoted, untagged) scalar, by the YAML 1.2 rules ruamel.yaml applies."""
    if value in _NULL:
        return _T + "null"
    c = value[0]
    if c in "tTfF" and _BOOL.match(value):
        return _T + "bool"
    if c in "-+0123456789." and _FLOAT.match(value):
        return _T + "float"
    if c in "-+0123456789" and _INT.match(value):
        return _T + "int"
    if value == "<<":
        return _T + "merge"
    if c in "0123456789" and _TIMESTAMP_SHAPE.match(value):
        return _T + "timestamp"
    return _T + "str"


def _yaml_int(text: str) -> int:
    v = text.replace("_", "")
    sign = -1 if v[:1] == "-" else 1
    if v[:1] in ("-", "+"):
        v = v[1:]
    for prefix, base in (("0b", 2), ("0x", 16), ("0o", 8)):
        if v.startswith(prefix):
            return sign * int(v[2:], base)
    return sign * int(v)  # YAML 1.2: a leading zero is not octal


def _yaml_float(text: str) -> float:
    v = text.replace("_", "").lower()
    sign = -1 if v[:1] == "-" else 1
    if v[:1] in ("-", "+"):
        v = v[1:]
    if v == ".inf":
        return sign * math.inf
    if v == ".nan":
        return math.nan
    return sign * float(v)


def _yaml_bool(text: str) -> bool:
    v = text.lower()
    if v in ("true", "yes", "on"):
        return True
    if v in ("false", "no", "off"):
        return False
    raise ValueError(f"{text!r} is not true or false")


def _yaml_timestamp(text: str):
    import datetime as dt

    m = _TIMESTAMP.match(text)
    if m is None:
        raise ValueError(f"{text!r} is not a date")
    g = m.groupdict()
    day = dt.date(int(g["year"]), int(g["month"]), int(g["day"]))
    if not g["hour"]:
        return day
    micro = int((g["fraction"] or "0")[:6].ljust(6, "0"))
    tz = None
    if g["tz"]:
        delta = dt.timedelta(hours=int(g["tz_hour"] or 0), minutes=int(g["tz_minute"] or 0))
        tz = dt.timezone(-delta if g["tz_sign"] == "-" else delta)
    return dt.datetime(
        day.year, day.month, day.day, int(g["hour"]), int(g["minute"]), int(g["second"]), micro, tz
    )


_CONSTRUCT = {
    _T + "str": str,
    _T + "null": lambda text: None,
    _T + "bool": _yaml_bool,
    _T + "int": _yaml_int,
    _T + "float": _yaml_float,
    _T + "timestamp": _yaml_timestamp,
    _T + "merge": lambda text: _MERGE,
}


def _tag_text(tag: str) -> str:
    """A tag as it is written: ``!!int`` for YAML's own, else as given."""
    return "!!" + tag[len(_T) :] if tag.startswith(_T) else tag


def _scalar(event, line: int):
    """A scalar event → its value (or an ``_Unreadable`` naming the line)."""
    tag, text = event.tag, event.value
    if tag is None and event.implicit[0]:  # plain and untagged: resolved by its form
        tag = _resolve(text)
    elif tag is None or tag == "!":  # quoted, or the non-specific tag: text
        return text
    make = _CONSTRUCT.get(tag)
    if make is None:
        return _Unreadable(f"cannot read this value: the tag {_tag_text(tag)} is not supported here", line)
    try:
        return make(text)
    except (ValueError, TypeError, OverflowError, ArithmeticError) as e:
        message = str(e)
        if "digits" in message and "integer" in message:
            message = "a number of thousands of digits is not a plausible value"
        else:
            message = f"cannot read this value: {message[:200]}"
        return _Unreadable(message, line)


def _compose(text: str):
    """YAML text → ``_Map`` / ``_Seq`` / scalars, from the events of PyYAML's parser (libyaml, in C,
    where installed): line numbers for every key and item, YAML 1.2 scalars as ruamel.yaml reads
    them, and the limits applied while reading, before any of it is expanded: at most MAX_NODES
    values (aliases not counted here: ``_plain`` counts them as it expands them), at most
    MAX_DEPTH levels. Raises ``yaml.YAMLError`` for a syntax error."""
    import yaml
    from yaml.events import (
        AliasEvent,
        CollectionEndEvent,
        DocumentStartEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceStartEvent,
    )

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    root: Any = None
    stack: list = []  # the open mappings and sequences, innermost last
    anchors: dict[str, Any] = {}
    nodes = documents = 0
    for event in yaml.parse(text, Loader=loader):
        kind = type(event)
        if kind is ScalarEvent or kind is MappingStartEvent or kind is SequenceStartEvent:
            line = event.start_mark.line + 1
            nodes += 1
            if nodes > MAX_NODES:
                raise _TooManyNodes(line)
            if len(stack) >= MAX_DEPTH:
                raise _ComposeError(
                    f"the file is nested more than {MAX_DEPTH} levels deep",
                    line,
                    "a scenario is a few levels deep; look for unclosed [ or { "
                    "or indentation that keeps growing",
                )
            if kind is ScalarEvent:
                node = _scalar(event, line)
            else:
                if event.tag not in (None, "!", _T + ("map" if kind is MappingStartEvent else "seq")):
                    raise _ComposeError(
                        f"the tag {_tag_text(event.tag)} is not supported in a scenario",
                        line,
                        "remove the tag: a scenario holds numbers, text, lists and mappings",
                    )
                node = _Map() if kind is MappingStartEvent else _Seq()
            if event.anchor is not None:
                anchors[event.anchor] = node
            if stack:
                stack[-1].add(node, line)
            else:
                root = node
            if kind is not ScalarEvent:
                stack.append(node)
        elif issubclass(kind, CollectionEndEvent):
            stack.pop()
        elif kind is AliasEvent:
            line = event.start_mark.line + 1
            if event.anchor not in anchors:
                raise _ComposeError(
                    f"found undefined alias {event.anchor!r}",
                    line,
                    "an alias (*name) repeats what an anchor (&name) written above it holds",
                )
            node = anchors[event.anchor]
            if stack:
                stack[-1].add(node, line)
            else:
                root = node
        elif kind is DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _ComposeError(
                    "the file holds more than one YAML document (a line `---` starts another)",
                    event.start_mark.line + 1,
                    "a scenario is one document: remove the `---` line and what follows, or merge them",
                )
            anchors = {}
    return root


_PARSED: dict[tuple, Any] = {}


def _read_yaml(path: Path):
    """The parsed file, from a cache keyed by path, modification time and size: ``edusim list``
    reads the baseline once for all the scenarios that extend it."""
    try:
        st = path.stat()
        key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    except OSError:
        return _parse_yaml(path)
    if key not in _PARSED:
        if len(_PARSED) > 64:
            _PARSED.clear()
        _PARSED[key] = _parse_yaml(path)
    return _PARSED[key]


def _parse_yaml(path: Path):
    import yaml

    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(
                f"the file is {size / 1e6:.1f} MB; a scenario file is at most {MAX_FILE_BYTES / 1e6:g} MB",
                file=path,
                hint=f"{DATA_HINT}; the shipped baseline is 24 kB",
            )
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise ScenarioError(f"cannot read the file: {e.strerror or e}", file=path) from None
    if len(raw) > MAX_FILE_BYTES:  # grew since stat()
        raise ScenarioError(f"the file is larger than {MAX_FILE_BYTES / 1e6:g} MB", file=path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ScenarioError(
            f"cannot read the file: {e}",
            file=path,
            line=raw[: e.start].count(b"\n") + 1,
            hint="save the file as UTF-8",
        ) from None

    try:
        data = _compose(text)
    except _TooManyNodes as e:
        raise ScenarioError(
            f"the file holds more than {MAX_NODES:,} values", file=path, line=e.line, hint=DATA_HINT
        ) from None
    except _ComposeError as e:
        raise ScenarioError(e.message, file=path, line=e.line, hint=e.hint) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise ScenarioError(
            f"YAML syntax error: {e.problem or e.context}",
            file=path,
            line=mark.line + 1 if mark is not None else None,
            hint="check indentation, colons and quotes on this line and the one above",
        ) from None
    except yaml.YAMLError as e:
        raise ScenarioError(f"YAML error: {str(e)[:300]}", file=path) from None
    if data is None:
        raise ScenarioError(
            "the file is empty",
            file=path,
            line=1,
            hint="a scenario needs at least `name:` and `extends: baseline`",
        )
    if not isinstance(data, _Map):
        raise ScenarioError("a scenario must be a mapping of keys to values", file=path, line=1)
    return data


@dataclass
class _Budget:
    """What is left of MAX_NODES for an extends chain, and the containers already expanded in a file."""

    left: int = MAX_NODES
    seen: set = field(default_factory=set)
    aliased: bool = False


def _dotted(prefix: tuple) -> str | None:
    return ".".join(str(p) for p in prefix) or None


def _key_text(k) -> str:
    """A key that is not a name, roughly as it was written (for the dotted key of a message)."""
    if k is None:
        return "~"
    if isinstance(k, bool):
        return "true" if k else "false"
    if isinstance(k, float):
        return show_number(k)
    if isinstance(k, _Map):
        return "{...}"
    if isinstance(k, _Seq):
        items = [v for v, _ in k.items]
        text = "[" + ", ".join(_item_text(x) for x in items[:5]) + (", ..." if len(items) > 5 else "") + "]"
        return text if len(text) <= 40 else text[:37] + "...]"
    return type(k).__name__


def _item_text(x) -> str:
    if isinstance(x, _Map):
        return "{...}"
    if isinstance(x, _Seq):
        return "[...]"
    return str(x)


def _describe_key(k) -> str:
    """A key that is not a name, in plain words."""
    if k is None:
        return "an empty key (~ or null)"
    if isinstance(k, bool):
        return f"{'true' if k else 'false'} (a yes/no value)"
    if isinstance(k, (int, float)):
        return f"a number {show_number(k) if isinstance(k, float) else k}"
    if isinstance(k, (_Map, Mapping)):
        return "a mapping"
    if isinstance(k, (_Seq, tuple, list)):
        return "a list"
    return f"a {type(k).__name__} value"


def _plain(
    node,
    path: Path,
    prefix: tuple,
    origins: dict,
    budget: _Budget | None = None,
    line: int | None = None,
    depth: int = 0,
    alias: tuple | None = None,
):
    """Composed nodes → plain Python, recording (file, line) for every key path.

    Counts every value against ``budget`` (aliases are expanded here, so an alias bomb is
    refused at the limit), limits nesting, refuses keys that are not names or integers, a key
    written twice, and numbers that are not finite or of plausible size. ``line`` is the line of
    the key or item that holds ``node``; ``alias`` is (line, key path) of the outermost alias being
    expanded, which is where an error inside the expansion is reported.
    """
    if budget is None:
        budget = _Budget()
    if isinstance(node, (_Map, _Seq)):
        if id(node) in budget.seen:
            budget.aliased = True
            alias = alias or (line, prefix)
        budget.seen.add(id(node))
    budget.left -= 1
    if budget.left < 0 or depth > MAX_DEPTH:
        where_line, where_key = alias if alias is not None else (line, prefix)
        if budget.left < 0:
            raise ScenarioError(
                f"the scenario holds more than {MAX_NODES:,} values"
                + (" once its aliases (*name) are expanded" if alias else ""),
                file=path,
                line=where_line,
                key=_dotted(where_key),
                hint="an alias (*name) repeats what its anchor (&name) holds; nested aliases multiply"
                if alias
                else DATA_HINT,
            )
        raise ScenarioError(
            f"the scenario is nested more than {MAX_DEPTH} levels deep"
            + (" once its aliases (*name) are expanded" if alias else ""),
            file=path,
            line=where_line,
            key=_dotted(where_key[:MAX_DEPTH]),
            hint="an alias (*name) inside the mapping or list it names repeats it without end",
        )

    if isinstance(node, _Map):
        out = {}
        merged = []  # mappings named by `<<:` keys: their keys count where the file has none
        for k, v, kline in node.pairs:
            if k is _MERGE:
                sources = [x for x, _ in v.items] if isinstance(v, _Seq) else [v]
                if not all(isinstance(x, _Map) for x in sources):
                    raise ScenarioError(
                        "a merge key (<<) takes a mapping, or a list of mappings, to merge in",
                        file=path,
                        line=kline,
                        key=_dotted(prefix + ("<<",)),
                        hint="write `<<: *name` where `&name` anchors a mapping",
                    )
                merged.append((v, kline))
                continue
            if isinstance(k, _Unreadable):
                raise ScenarioError(
                    k.message, file=path, line=k.line, key=_dotted(prefix), hint="check the key on this line"
                )
            if isinstance(k, str):
                key = k
            elif isinstance(k, int) and not isinstance(k, bool):
                key = k  # years of a series, ages of enrolment_rate and attrition
            else:
                raise ScenarioError(
                    f"a key must be a name; got {_describe_key(k)}",
                    file=path,
                    line=kline,
                    key=_dotted(prefix + (_key_text(k),)),
                    hint="keys are names such as `births` (or years such as 2021 in a "
                    f"series); quote a key that is meant as text: '{_key_text(k)}': ...",
                )
            if key in out:
                raise ScenarioError(
                    f"duplicate key {key!r}: it is written twice in this mapping",
                    file=path,
                    line=kline,
                    key=_dotted(prefix + (key,)),
                    hint="a key may appear once in a mapping: keep one of them",
                )
            origins[prefix + (key,)] = (path, kline)
            out[key] = _plain(v, path, prefix + (key,), origins, budget, kline, depth + 1, alias)
        for v, kline in merged:
            # expanded like an alias: counted again, and errors inside it reported at the `<<` line
            expanded = _plain(v, path, prefix, {}, budget, kline, depth, alias or (kline, prefix))
            items = expanded if isinstance(expanded, list) else [expanded]
            for m in items:
                for key, value in m.items():
                    if key not in out:
                        origins[prefix + (key,)] = (path, kline)
                        out[key] = value
        return out
    if isinstance(node, _Seq):
        out = []
        for i, (v, iline) in enumerate(node.items):
            origins[prefix + (i,)] = (path, iline)
            out.append(_plain(v, path, prefix + (i,), origins, budget, iline, depth + 1, alias))
        return out
    if isinstance(node, _Unreadable):
        raise ScenarioError(
            node.message, file=path, line=node.line, key=_dotted(prefix), hint="check the value on this line"
        )
    if isinstance(node, bool):
        return node
    if isinstance(node, (int, float)):
        number = node
        if isinstance(number, int) and prefix[-1:] == ("seed",):
            return number  # any non-negative integer is a seed
        try:
            check_number(float(number))
        except OverflowError:
            raise ScenarioError(
                "a number of more than 300 digits is not a plausible value",
                file=path,
                line=line,
                key=_dotted(prefix),
                hint="check for a typo: extra zeros",
            ) from None
        except SeriesError as e:
            raise ScenarioError(str(e), file=path, line=line, key=_dotted(prefix), hint=e.hint) from None
        return number
    return node


def _is_series_mapping(d: dict) -> bool:
    keys = set(d)
    if not keys:
        return False
    plain = all(not isinstance(v, (dict, list)) for v in d.values())
    named = keys <= {"start", "growth", "source"} or any(isinstance(k, int) for k in keys)
    return plain and named and all(isinstance(k, int) or k in {"start", "growth", "source"} for k in keys)


# top-level blocks a child replaces whole instead of merging key by key
WHOLE_BLOCKS = ("uncertainty", "levers")
APPEND = "+"  # `+projects:` appends the child's items to the parent's list


def _merge(
    parent: dict, child: dict, top: bool = True, prefix: tuple = (), replaced: list | None = None
) -> dict:
    """The child merged onto the parent; ``replaced`` gets (key path, parent's list) for every
    non-empty list of records (mappings) that a child's list replaces."""
    out = dict(parent)
    for k, v in child.items():
        if (
            not (top and k in WHOLE_BLOCKS)
            and k in out
            and isinstance(out[k], dict)
            and isinstance(v, dict)
            and not _is_series_mapping(v)
            and not _is_series_mapping(out[k])
        ):
            out[k] = _merge(out[k], v, top=False, prefix=prefix + (k,), replaced=replaced)
        elif isinstance(k, str) and k.startswith(APPEND) and len(k) > 1:
            # checked by _appends: v is a list, the parent's (if any) too
            out[k[1:]] = list(out.get(k[1:]) or []) + list(v)
        elif (
            k not in out
            and isinstance(v, dict)
            and not _is_series_mapping(v)
            and not (top and k in WHOLE_BLOCKS)
        ):
            out[k] = _merge({}, v, top=False)  # a new section: its `+key:` entries become lists
        else:
            old = out.get(k)
            if (
                replaced is not None
                and isinstance(v, list)
                and v
                and isinstance(old, list)
                and old
                and all(isinstance(x, dict) for x in old)
            ):
                replaced.append((prefix + (k,), old))
            out[k] = v
    return out


def _appends(data: Any, parent: dict | None, origins: dict, path: Path, prefix: tuple = ()) -> None:
    """Check the ``+key:`` entries of a file (its parent's merged data or None) and move their
    origins to where the items land: ``+projects`` item 0 after 4 inherited is ``projects.4``."""
    if not isinstance(data, dict):
        return
    for k, v in data.items():
        p = parent.get(k) if isinstance(parent, dict) else None
        if not (isinstance(k, str) and k.startswith(APPEND)):
            if isinstance(v, dict) and not _is_series_mapping(v) and not (not prefix and k in WHOLE_BLOCKS):
                _appends(v, p if isinstance(p, dict) else None, origins, path, prefix + (k,))
            continue
        name = k[1:]
        line = origins.get(prefix + (k,), (path, None))[1]
        key = _dotted(prefix + (name,))
        if not name or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ScenarioError(
                f"'{k}' is not a key: `+` appends to a list and is followed by its name",
                file=path,
                line=line,
                key=_dotted(prefix + (k,)),
                hint="write e.g. `+projects:` with the items to add under it",
            )
        if name in data:
            raise ScenarioError(
                f"both `{name}:` and `{k}:` are written here",
                file=path,
                line=line,
                key=key,
                hint=f"`{name}:` replaces the inherited list, `{k}:` adds to it: keep one",
            )
        if not isinstance(v, list):
            raise ScenarioError(
                f"`{k}:` takes a list of items to append; got {_what(v)}",
                file=path,
                line=line,
                key=key,
                hint=f"write the items under it, one `- ` each, or write `{name}:` to replace the value",
            )
        inherited = parent.get(name) if isinstance(parent, dict) else None
        if inherited is not None and not isinstance(inherited, list):
            raise ScenarioError(
                f"`{k}:` appends to a list, but the inherited {key} is not a list",
                file=path,
                line=line,
                key=key,
                hint=f"write `{name}:` to replace it",
            )
        n = len(inherited or [])
        old = prefix + (k,)
        for kp in [kp for kp in origins if kp[: len(old)] == old]:
            rest = kp[len(old) :]
            new = prefix + (name,) + ((rest[0] + n,) + rest[1:] if rest else ())
            origins[new] = origins.pop(kp)


def _load_chain(
    path: Path, seen: tuple[Path, ...], budget: _Budget | None = None, warnings: list[str] | None = None
) -> tuple[dict, dict, list[Path]]:
    budget = budget if budget is not None else _Budget()
    warnings = warnings if warnings is not None else []
    raw = _read_yaml(path)
    origins: dict = {}
    budget.seen, budget.aliased = set(), False
    data = _plain(raw, path, (), origins, budget)
    del raw
    parent_ref = data.pop("extends", None)
    if parent_ref is None:
        _appends(data, None, origins, path)
        return _merge({}, data), origins, [path]
    line = origins.get(("extends",), (path, None))[1]
    if not isinstance(parent_ref, str):
        raise ScenarioError("`extends` takes a scenario name or path", file=path, line=line, key="extends")
    try:
        parent_path = find_scenario(parent_ref, relative_to=path.parent)
    except ScenarioError as e:
        raise ScenarioError(
            f"extends a scenario that does not exist: '{parent_ref}'",
            file=path,
            line=line,
            key="extends",
            hint=e.hint,
        ) from None
    if parent_path in seen + (path,):
        cycle = " → ".join(p.name for p in seen + (path, parent_path))
        raise ScenarioError(
            f"`extends` makes a cycle: {cycle}",
            file=path,
            key="extends",
            line=line,
            hint="a scenario cannot extend itself, directly or through others",
        )
    if len(seen) + 1 >= MAX_EXTENDS:
        raise ScenarioError(
            f"`extends` chains more than {MAX_EXTENDS} files",
            file=path,
            key="extends",
            line=line,
            hint="extend the baseline, or a scenario that extends it, directly",
        )
    pdata, porigins, chain = _load_chain(parent_path, seen + (path,), budget, warnings)
    _appends(data, pdata, origins, path)
    replaced: list = []
    merged = _merge(pdata, data, replaced=replaced)
    for key_path, old in replaced:
        name = key_path[-1]
        where = porigins.get(key_path, (parent_path, None))[0]
        warnings.append(
            str(
                ScenarioError(
                    f"replaces the {len(old)} {_items(name, len(old))} of {Path(where).stem} "
                    "(list items are not merged)",
                    file=path,
                    line=origins.get(key_path, (path, None))[1],
                    key=_dotted(key_path),
                    hint=f"write `+{name}:` to add to them; `{name}: []` removes them without this warning",
                )
            )
        )
    porigins = {k: v for k, v in porigins.items() if not _shadowed(k, data)}
    porigins.update(origins)
    return merged, porigins, [path] + chain


def _what(v: Any) -> str:
    if v is None:
        return "nothing"
    return "a mapping" if isinstance(v, dict) else f"one value ({_short(v, 40)})"


_ITEM_NAMES = {"projects": "projects", "targets": "targets", "notes": "notes"}


def _items(name: str, n: int) -> str:
    word = _ITEM_NAMES.get(name, "items")
    return word[:-1] if n == 1 else word


def _shadowed(key_path: tuple, child: dict) -> bool:
    """True when the child replaced a value on this path (so the parent's line no longer applies)."""
    if key_path and key_path[0] in WHOLE_BLOCKS and key_path[0] in child:
        return True
    node = child
    for k in key_path:
        if not isinstance(node, dict) or k not in node:
            return False
        node = node[k]
        if not isinstance(node, dict) or _is_series_mapping(node):
            return True
    return False


def load(ref: str | Path) -> Loaded:
    """Load and validate a scenario file or name; raise ScenarioError naming file, line and key."""
    path = find_scenario(ref)
    warnings: list[str] = []
    data, origins, chain = _load_chain(path, (), warnings=warnings)
    _check_name(data, origins, path)
    if len(chain) > 1 and origins.get(("title",), (None,))[0] != path:
        line = origins.get(("name",), (path, 1))[1] if origins.get(("name",), (None,))[0] == path else 1
        raise ScenarioError(
            "a scenario that extends another needs its own title (it would show the parent's "
            "title, and two scenarios in a report would carry the same name)",
            file=path,
            line=line,
            key="title",
            hint="give the scenario its own title: {zh: …, en: …}, "
            'e.g. title: {zh: 低出生, en: "Low births, high migration"}',
        )
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as e:
        raise _explain(e, data, origins, path) from None
    loaded = Loaded(scenario=scenario, path=path, chain=chain, origins=origins, raw=data, warnings=warnings)
    _check_growth(loaded)
    _check_notes(loaded)
    _check_targets(loaded)
    _check_paths(loaded)
    _check_projects(loaded)
    return loaded


def load_scenario(ref: str | Path) -> Scenario:
    return load(ref).scenario


def _where(origins: dict, key_path: tuple, path: Path) -> tuple[Path, int | None]:
    """(file, line) of a key path, or of the nearest enclosing key that was written."""
    for n in range(len(key_path), 0, -1):
        if key_path[:n] in origins:
            return origins[key_path[:n]]
    return path, None


def _check_name(data: dict, origins: dict, path: Path) -> None:
    """The name becomes a folder: plain words for a bad one, before pydantic's pattern message."""
    name = data.get("name")
    if isinstance(name, str):
        try:
            check_name(name)
        except ValueError as e:
            file, line = _where(origins, ("name",), path)
            raise ScenarioError(
                str(e), file=file, line=line, key="name", hint=getattr(e, "hint", None)
            ) from None


def _series_leaves(node: Any, prefix: tuple, bounds=None):
    """(key path, series, its Bounded check or None) for every series of a validated scenario."""
    if isinstance(node, Series):
        yield prefix, node, bounds
    elif isinstance(node, BaseModel):
        for name, info in type(node).model_fields.items():
            yield from _series_leaves(
                getattr(node, name), prefix + (name,), series_bounds(info.annotation, info.metadata)
            )
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from _series_leaves(v, prefix + (i,), bounds)
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _series_leaves(v, prefix + (k,), bounds)


def _near(x: float, bound: float) -> str:
    """``x`` in 6 digits, or in full where 6 digits would print the bound itself."""
    short = f"{x:.6g}"
    return short if float(short) != bound else show_number(x)


def _check_growth(loaded: Loaded) -> None:
    """A series with a growth stays finite, plausible and within its bounds over the horizon
    (a rate of 0.9 growing 5 % a year passes 1 by its third year; growth 1e6 overflows)."""
    years = loaded.scenario.years
    for key_path, s, bounds in _series_leaves(loaded.scenario, ()):
        if not s.growth:
            continue
        with np.errstate(all="ignore"):
            vals = s.evaluate(years)
        problem = None
        bad = ~np.isfinite(vals) | (np.abs(vals) > MAX_MAGNITUDE)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            problem = (
                f"its growth takes it to {vals[i]:.3g} by {years[i]}, which is not a plausible value "
                f"(the limit is ±{MAX_MAGNITUDE:g})"
            )
        elif bounds is not None and bounds.lo is not None and (vals < bounds.lo).any():
            i = int(np.flatnonzero(vals < bounds.lo)[0])
            problem = (
                f"{bounds.what} must be ≥ {bounds.lo:g}; its growth takes it to "
                f"{_near(vals[i], bounds.lo)} by {years[i]}"
            )
        elif bounds is not None and bounds.hi is not None and (vals > bounds.hi).any():
            i = int(np.flatnonzero(vals > bounds.hi)[0])
            problem = (
                f"{bounds.what} must be ≤ {bounds.hi:g}; its growth takes it to "
                f"{_near(vals[i], bounds.hi)} by {years[i]}"
            )
        if problem is not None:
            file, line = _where(loaded.origins, key_path, loaded.path)
            raise ScenarioError(
                problem,
                file=file,
                line=line,
                key=_dotted(key_path),
                hint=GROWTH_HINT + "; give year points instead if the value must level off",
            )
        _steep_growth(loaded, key_path, s, years, vals)


# a growth that takes a series below half (or above four times) the value it starts from within
# the horizon is allowed, but it is more often a slip (-0.6 for -6 %) than meant: a warning
STEEP_FALL, STEEP_RISE = 0.5, 4.0


def _steep_growth(loaded: Loaded, key_path: tuple, s: Series, years: np.ndarray, vals: np.ndarray) -> None:
    first = int(years[0]) if s.from_start else max(int(s.points[-1][0]), int(years[0]))
    n = int(years[-1]) - first
    if n <= 0:
        return
    factor = (1.0 + s.growth) ** n
    if STEEP_FALL <= factor <= STEEP_RISE:
        return
    start = float(vals[0]) if s.from_start else float(s.evaluate(np.array([first]))[0])
    what = "less than half" if factor < STEEP_FALL else f"{factor:.3g} times"
    file, line = _where(loaded.origins, key_path, loaded.path)
    loaded.warnings.append(
        str(
            ScenarioError(
                f"growth {show_number(s.growth)} ({s.growth * 100:+.3g} % a year) takes it "
                f"from {start:.6g} in {first} to {float(vals[-1]):.6g} by {int(years[-1])} ({what})",
                file=file,
                line=line,
                key=_dotted(key_path),
                hint='growth is a fraction a year: −6 % is -0.06 (or write "-6%")',
            )
        )
    )


def _check_notes(loaded: Loaded) -> None:
    for i, note in enumerate(loaded.scenario.notes):
        node: Any = loaded.raw
        for part in note.about.split("."):
            key = int(part) if part.isdigit() else part
            if isinstance(node, dict) and key in node:
                node = node[key]
            else:
                file, line = loaded.origins.get(("notes", i), (loaded.path, None))
                raise ScenarioError(
                    f"note is about '{note.about}', which the scenario does not have",
                    file=file,
                    line=line,
                    key=f"notes.{i}.about",
                )


def _check_projects(loaded: Loaded) -> None:
    s = loaded.scenario
    if s.finance is None:
        return
    try:
        check_projects(s.finance, s.horizon.start, s.horizon.end)
    except ValueError as e:
        bad = next(
            i
            for i, p in enumerate(s.finance.projects)
            if not (
                s.horizon.start <= p.start <= s.horizon.end and s.horizon.start <= p.opens <= s.horizon.end
            )
        )
        key = ("finance", "projects", bad)
        file, line = loaded.origins.get(key, (loaded.path, None))
        raise ScenarioError(
            str(e),
            file=file,
            line=line,
            key="finance.projects." + str(bad),
            hint="move the project's years inside the horizon, or extend the horizon",
        ) from None


APPLY_HINT = (
    "write apply: scale (the value × the draw: loc 1.0 is no change), shift (the value + the draw), "
    "set (the draw replaces the value in every year) or drift (the draw is a change per year from "
    "the base year: + for a rate, × (1 + draw) a year for others)"
)


def _check_paths(loaded: Loaded) -> None:
    """Every uncertainty and lever names a number or a series. An uncertainty on a series (which a
    value written as one number may be) must say how its draw applies; on a number it is set,
    and the ``apply`` used is written into the scenario (so ``scenario.resolved.yaml`` shows it)."""
    for block in ("uncertainty", "levers"):
        for path, entry in getattr(loaded.scenario, block).items():
            file, line = loaded.origins.get((block, path), (loaded.path, None))
            try:
                value, kind = resolve(loaded.scenario, path)
            except ValueError as e:
                hint = None
                if "is not a section" in str(e) and Path(file) != Path(loaded.path):
                    # inherited: the child left the section out (e.g. `teachers: null`)
                    hint = (
                        f"{Path(loaded.path).name} leaves out that section: write `{block}: {{}}` there "
                        f"(or its own {block}), which replaces the parent's"
                    )
                raise ScenarioError(str(e), file=file, line=line, key=f"{block}.{path}", hint=hint) from None
            if block != "uncertainty" or entry.apply is not None:
                continue
            if kind == "series":
                written = value.to_yaml()
                shown = "one number" if not isinstance(written, dict) else "a series"
                raise ScenarioError(
                    f"{path} is a value over time (written here as {shown}: {_short(written, 40)}): "
                    "say how the draw applies to it",
                    file=file,
                    line=line,
                    key=f"uncertainty.{path}.apply",
                    hint=APPLY_HINT,
                )
            entry.apply = "set"


def _check_targets(loaded: Loaded) -> None:
    s = loaded.scenario
    seen: set[str] = set()
    for i, t in enumerate(s.targets):
        y0, y1 = t.years
        if t.id in seen:
            file, line = loaded.origins.get(("targets", i, "id"), (loaded.path, None))
            raise ScenarioError(
                f"target id '{t.id}' is used twice", file=file, line=line, key=f"targets.{i}.id"
            )
        seen.add(t.id)
        if y0 < s.horizon.start or y1 > s.horizon.end:
            file, line = loaded.origins.get(("targets", i, "year"), (loaded.path, None))
            raise ScenarioError(
                f"target '{t.id}' is for {t.year}, outside the horizon {s.horizon.start}-{s.horizon.end}",
                file=file,
                line=line,
                key=f"targets.{i}.year",
                hint="move the target's year or the horizon's end",
            )


def _short(x: Any, limit: int = 80) -> str:
    text = repr(x)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _explain(err: ValidationError, data: dict, origins: dict, path: Path) -> ScenarioError:
    """The first validation error as a ScenarioError with file, line and a did-you-mean."""
    errors = err.errors()
    key_errors = [
        x
        for x in errors
        if x["type"] in ("invalid_key", "extra_forbidden")
        or (x["type"] == "string_type" and "[key]" in x["loc"])
    ]
    e = (key_errors or errors)[0]  # a wrong key first: it often explains the other errors
    raw_loc = e["loc"]
    loc = tuple(p for p in raw_loc if not (isinstance(p, str) and (p.startswith("function-") or "[" in p)))
    loc = _strip_union_tags(loc)
    if e["type"] == "value_error":
        loc = _named_field(loc, e["msg"])
    key = ".".join(str(p) for p in loc) or None
    file, line = _where(origins, loc, path)
    msg = e["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    ctx = e.get("ctx") or {}
    hint = getattr(ctx.get("error"), "hint", None)  # SeriesError / InputError carry one
    if e["type"] == "invalid_key" or (e["type"] == "string_type" and "[key]" in raw_loc):
        bad = loc[-1] if loc else e.get("input")
        msg = f"a key must be a name; got {_describe_key(bad)}"
        valid = _valid_keys(loc[:-1])
        hint = (
            f"valid keys here: {', '.join(valid)}"
            if valid
            else "keys here are names; quote a key that is meant as text: '42': ..."
        )
    elif e["type"] == "extra_forbidden":
        valid = _valid_keys(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.5)
        msg = "unknown key"
        hint = (
            f"did you mean '{close[0]}'?"
            if close
            else (f"valid keys here: {', '.join(valid)}" if valid else None)
        )
        if e.get("input") is None and not close and isinstance(loc[-1], str):
            # `{zh: 低出生, en: Low births, high migration}`: the comma ends the text, and what
            # follows becomes a key of its own with no value
            msg = (
                f"unknown key '{loc[-1]}' (with no value): a comma inside {{...}} ends a text, "
                "so the text after it became a key"
            )
            hint = (
                "quote texts that contain a comma: "
                '{zh: "低出生，高迁移", en: "Low births, high migration"}, or write each key on its own line'
                + (f"; valid keys here: {', '.join(valid)}" if valid else "")
            )
    elif e["type"] == "missing":
        msg = "required key is missing"
        hint = "add it here, or `extends:` a scenario that has it"
    elif e["type"] == "string_pattern_mismatch" and ctx.get("pattern") == NAME_PATTERN:
        msg = f"{_short(e.get('input'), 40)} is not a valid name"
        hint = NAME_RULE
    elif e["type"] == "finite_number":
        msg = f"{_short(e.get('input'), 40)} is not a finite number"
        hint = FINITE_HINT
    elif e["type"] in (
        "int_parsing",
        "float_parsing",
        "int_type",
        "float_type",
        "string_type",
        "dict_type",
        "model_type",
        "list_type",
        "bool_type",
        "int_from_float",
    ):
        msg = f"{msg} (got {_short(e.get('input'))})"
    elif e["type"] == "literal_error":
        msg = f"{msg} (got {_short(e.get('input'))})"
    return ScenarioError(msg, file=file, line=line, key=key, hint=hint)


def _named_field(loc: tuple, msg: str) -> tuple:
    """A model-level check (e.g. "horizon start 2021 is not the base population's year") is reported
    at the model; point it at the first of the model's fields its message names."""
    fields = _valid_keys(loc)
    hits = [(m.start(), f) for f in fields for m in [re.search(rf"(?<![\w.]){re.escape(f)}(?!\w)", msg)] if m]
    return loc + (min(hits)[1],) if hits else loc


def _strip_union_tags(loc: tuple) -> tuple:
    # pydantic inserts the union member's name (e.g. 'list[...]') into the location
    out = []
    for p in loc:
        if isinstance(p, str) and (p.startswith("list[") or p.startswith("function-") or p in ("Series",)):
            continue
        out.append(p)
    return tuple(out)


def _valid_keys(loc: tuple) -> list[str]:
    model: Any = Scenario
    for part in loc:
        model = _field_model(model, part)
        if model is None:
            return []
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _field_model(model: Any, part: Any):
    if isinstance(model, type) and issubclass(model, BaseModel):
        f = model.model_fields.get(part) if isinstance(part, str) else None
        return _unwrap(f.annotation) if f is not None else None
    origin = get_origin(model)
    if origin in (dict, list):
        return _unwrap(get_args(model)[-1])
    return None


def _unwrap(t: Any):
    while get_origin(t) is Annotated:
        t = get_args(t)[0]
    if get_origin(t) is Union:
        for a in get_args(t):
            a = _unwrap(a)
            if isinstance(a, type) and issubclass(a, BaseModel):
                return a
    return t
