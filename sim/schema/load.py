"""Scenario files: YAML loading with ``extends:``, and errors that name file, line and key.

>>> s = load_scenario("baseline")
>>> s.name, s.horizon.start, s.horizon.end
('baseline', 2020, 2035)

A scenario file may start with ``extends: NAME`` (a scenario in the same folder,
or a path relative to the file); the child overrides only what it names.
Mappings merge key by key; a series is replaced whole.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from ..core.errors import ScenarioError
from ..core.paths import scenario_dir
from .finance import check_projects
from .scenario import Scenario
from .paths import resolve

# ---------------------------------------------------------------------- loading
@dataclass
class Loaded:
    """A scenario with where each of its keys was written."""
    scenario: Scenario
    path: Path
    chain: list[Path]                     # the file and every file it extends, child first
    origins: dict[tuple, tuple[Path, int]] = field(default_factory=dict)
    raw: dict = field(default_factory=dict)

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


def _read_yaml(path: Path):
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ScenarioError(f"cannot read the file: {e}", file=path) from None
    try:
        data = yaml.load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ScenarioError(f"YAML syntax error: {e.problem or e.context}", file=path, line=line,
                            hint="check indentation, colons and quotes on this line and the one above") from None
    except YAMLError as e:
        raise ScenarioError(f"YAML error: {e}", file=path) from None
    if data is None:
        raise ScenarioError("the file is empty", file=path,
                            hint="a scenario needs at least `name:` and `extends: baseline`")
    if not isinstance(data, dict):
        raise ScenarioError("a scenario must be a mapping of keys to values", file=path, line=1)
    return data


def _plain(node, path: Path, prefix: tuple, origins: dict):
    """ruamel nodes → plain Python, recording (file, line) for every key path."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap):
        out = {}
        for k, v in node.items():
            key = k
            try:
                line = node.lc.key(k)[0] + 1
            except (KeyError, TypeError, AttributeError):
                line = None
            origins[prefix + (key,)] = (path, line)
            out[key] = _plain(v, path, prefix + (key,), origins)
        return out
    if isinstance(node, CommentedSeq):
        out = []
        for i, v in enumerate(node):
            try:
                line = node.lc.item(i)[0] + 1
            except (KeyError, TypeError, AttributeError):
                line = None
            origins[prefix + (i,)] = (path, line)
            out.append(_plain(v, path, prefix + (i,), origins))
        return out
    if hasattr(node, "real") and type(node).__name__ == "ScalarFloat":
        return float(node)
    if type(node).__name__ in ("ScalarBoolean",):
        return bool(node)
    if isinstance(node, str):
        return str(node)
    return node


def _is_series_mapping(d: dict) -> bool:
    keys = set(d)
    if not keys:
        return False
    plain = all(not isinstance(v, (dict, list)) for v in d.values())
    named = keys <= {"start", "growth", "source"} or any(isinstance(k, int) for k in keys)
    return plain and named and all(isinstance(k, int) or k in {"start", "growth", "source"} for k in keys)


def _merge(parent: dict, child: dict) -> dict:
    out = dict(parent)
    for k, v in child.items():
        if (k in out and isinstance(out[k], dict) and isinstance(v, dict)
                and not _is_series_mapping(v) and not _is_series_mapping(out[k])):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _load_chain(path: Path, seen: tuple[Path, ...]) -> tuple[dict, dict, list[Path]]:
    if path in seen:
        cycle = " → ".join(p.name for p in seen + (path,))
        raise ScenarioError(f"`extends` makes a cycle: {cycle}", file=seen[-1], key="extends",
                            line=None, hint="a scenario cannot extend itself, directly or through others")
    raw = _read_yaml(path)
    origins: dict = {}
    data = _plain(raw, path, (), origins)
    parent_ref = data.pop("extends", None)
    if parent_ref is None:
        return data, origins, [path]
    line = origins.get(("extends",), (path, None))[1]
    if not isinstance(parent_ref, str):
        raise ScenarioError("`extends` takes a scenario name or path", file=path, line=line, key="extends")
    try:
        parent_path = find_scenario(parent_ref, relative_to=path.parent)
    except ScenarioError as e:
        raise ScenarioError(f"extends a scenario that does not exist: '{parent_ref}'",
                            file=path, line=line, key="extends", hint=e.hint) from None
    pdata, porigins, chain = _load_chain(parent_path, seen + (path,))
    merged = _merge(pdata, data)
    porigins = {k: v for k, v in porigins.items() if not _shadowed(k, data)}
    porigins.update(origins)
    return merged, porigins, [path] + chain


def _shadowed(key_path: tuple, child: dict) -> bool:
    """True when the child replaced a value on this path (so the parent's line no longer applies)."""
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
    data, origins, chain = _load_chain(path, ())
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as e:
        raise _explain(e, data, origins, path) from None
    loaded = Loaded(scenario=scenario, path=path, chain=chain, origins=origins, raw=data)
    _check_notes(loaded)
    _check_targets(loaded)
    _check_paths(loaded)
    _check_projects(loaded)
    return loaded


def load_scenario(ref: str | Path) -> Scenario:
    return load(ref).scenario


def _check_notes(loaded: Loaded) -> None:
    for i, note in enumerate(loaded.scenario.notes):
        node: Any = loaded.raw
        for part in note.about.split("."):
            key = int(part) if part.isdigit() else part
            if isinstance(node, dict) and key in node:
                node = node[key]
            else:
                file, line = loaded.origins.get(("notes", i), (loaded.path, None))
                raise ScenarioError(f"note is about '{note.about}', which the scenario does not have",
                                    file=file, line=line, key=f"notes.{i}.about")


def _check_projects(loaded: Loaded) -> None:
    s = loaded.scenario
    if s.finance is None:
        return
    try:
        check_projects(s.finance, s.horizon.start, s.horizon.end)
    except ValueError as e:
        bad = next(i for i, p in enumerate(s.finance.projects)
                   if not (s.horizon.start <= p.start <= s.horizon.end and s.horizon.start <= p.opens <= s.horizon.end))
        key = ("finance", "projects", bad)
        file, line = loaded.origins.get(key, (loaded.path, None))
        raise ScenarioError(str(e), file=file, line=line, key="finance.projects." + str(bad),
                            hint="move the project's years inside the horizon, or extend the horizon") from None


def _check_paths(loaded: Loaded) -> None:
    for block in ("uncertainty", "levers"):
        for path in getattr(loaded.scenario, block):
            try:
                resolve(loaded.scenario, path)
            except ValueError as e:
                file, line = loaded.origins.get((block, path), (loaded.path, None))
                raise ScenarioError(str(e), file=file, line=line, key=f"{block}.{path}") from None


def _check_targets(loaded: Loaded) -> None:
    s = loaded.scenario
    seen: set[str] = set()
    for i, t in enumerate(s.targets):
        y0, y1 = t.years
        if t.id in seen:
            file, line = loaded.origins.get(("targets", i, "id"), (loaded.path, None))
            raise ScenarioError(f"target id '{t.id}' is used twice", file=file, line=line, key=f"targets.{i}.id")
        seen.add(t.id)
        if y0 < s.horizon.start or y1 > s.horizon.end:
            file, line = loaded.origins.get(("targets", i, "year"), (loaded.path, None))
            raise ScenarioError(f"target '{t.id}' is for {t.year}, outside the horizon "
                                f"{s.horizon.start}-{s.horizon.end}", file=file, line=line,
                                key=f"targets.{i}.year", hint="move the target's year or the horizon's end")


def _explain(err: ValidationError, data: dict, origins: dict, path: Path) -> ScenarioError:
    """The first validation error as a ScenarioError with file, line and a did-you-mean."""
    e = err.errors()[0]
    loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and (p.startswith("function-") or "[" in p)))
    loc = _strip_union_tags(loc)
    key = ".".join(str(p) for p in loc) or None
    file, line = path, None
    for n in range(len(loc), -1, -1):
        if loc[:n] in origins:
            file, line = origins[loc[:n]]
            break
    msg = e["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    hint = None
    if e["type"] == "extra_forbidden":
        valid = _valid_keys(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.5)
        msg = "unknown key"
        hint = f"did you mean '{close[0]}'?" if close else (f"valid keys here: {', '.join(valid)}" if valid else None)
    elif e["type"] == "missing":
        msg = "required key is missing"
        hint = "add it here, or `extends:` a scenario that has it"
    elif e["type"] in ("int_parsing", "float_parsing", "int_type", "float_type", "string_type",
                       "dict_type", "model_type", "list_type", "bool_type", "int_from_float"):
        msg = f"{msg} (got {e.get('input')!r})"
    elif e["type"] == "literal_error":
        msg = f"{msg} (got {e.get('input')!r})"
    return ScenarioError(msg, file=file, line=line, key=key, hint=hint)


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
