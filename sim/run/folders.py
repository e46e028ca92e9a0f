"""Writing outputs whole or not at all, never over an earlier one.

Every folder a command writes (a run, a sweep, a back-test ...) is built in a hidden
``.partial-*`` folder and renamed into place under a name no other process holds: two runs
started in the same second both finish, in distinct folders. Single files are written to a
temporary name and moved into place. A failure, Ctrl-C or SIGTERM removes the temporary
folder; ``.partial-*`` folders older than a day (left by a killed process) are swept away
the next time that output folder is written. Files get the user's umask, not 0600.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from ..core.errors import UserError

STALE_SECONDS = 24 * 3600


def umask() -> int:
    """The process's umask now (a test or a caller may change it between two writes).

    Read from /proc (Linux 4.7+) where it can be, without changing it: ``os.umask`` can only be
    read by setting it, which a thread writing a file at that moment would see."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def _mkdir(base: Path) -> None:
    try:
        base.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UserError(f"cannot write into {base}: it is a file, not a folder") from None
    except OSError as e:
        raise UserError(f"cannot create the output folder {base}: {e.strerror}") from None
    if not os.access(base, os.W_OK | os.X_OK):
        raise UserError(f"cannot write into {base}: permission denied (or a read-only file system)")


def sweep_stale(base: Path, now: float | None = None) -> list[Path]:
    """Remove ``.partial-*`` folders older than a day under ``base``; returns what was removed."""
    now = time.time() if now is None else now
    gone = []
    with contextlib.suppress(OSError):
        for p in base.glob(".partial-*"):
            with contextlib.suppress(OSError):
                if p.is_dir() and now - p.stat().st_mtime > STALE_SECONDS:
                    shutil.rmtree(p, ignore_errors=True)
                    gone.append(p)
    return gone


@dataclass
class Pending:
    """A folder being written: fill ``tmp``; after the ``with``, ``final`` is where it went."""

    tmp: Path
    final: Path | None = None


@contextlib.contextmanager
def new_folder(base: Path, stem: str, notes: list[str] | None = None) -> Iterator[Pending]:
    """A temporary folder under ``base`` to fill; on success it becomes ``base/<stem>[-n]``.

    The final name is the first of ``stem``, ``stem-2``, ... that no one holds: the rename
    fails if another process took it first, and the next is tried. ``notes`` gets a line per
    stale folder swept.

    >>> import tempfile
    >>> base = Path(tempfile.mkdtemp())
    >>> with new_folder(base, "run") as a:
    ...     _ = (a.tmp / "x.txt").write_text("1")
    >>> with new_folder(base, "run") as b:
    ...     _ = (b.tmp / "x.txt").write_text("2")
    >>> a.final.name, b.final.name, sorted(p.name for p in base.iterdir())
    ('run', 'run-2', ['run', 'run-2'])
    """
    base = Path(base)
    _mkdir(base)
    for p in sweep_stale(base):
        if notes is not None:
            notes.append(f"removed {p}, left by an interrupted run more than a day ago")
    try:
        tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=base))
    except OSError as e:
        raise UserError(f"cannot write into {base}: {e.strerror}") from None
    holder = Pending(tmp)
    try:
        yield holder
        n = 1
        while True:
            final = base / (stem if n == 1 else f"{stem}-{n}")
            try:
                os.rename(tmp, final)
                break
            except OSError:
                if not final.exists():
                    raise
                n += 1
        _fix_modes(final)
        holder.final = final
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise UserError(f"cannot write into {base}: {e.strerror or e}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _fix_modes(folder: Path) -> None:
    mode = 0o777 & ~umask()
    folder.chmod(mode)
    for p in folder.rglob("*"):
        p.chmod(mode if p.is_dir() else mode & 0o666)


def write_file(write, out: Path) -> Path:
    """Write ``out`` through ``write(tmp_path)`` and move it into place whole."""
    out = Path(out)
    if out.is_dir():
        raise UserError(f"cannot write {out}: it is a folder; give a file name")
    _mkdir(out.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=out.suffix, dir=out.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~umask())
        os.replace(tmp, out)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise UserError(f"cannot write {out}: {e.strerror or e}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def write_text(text: str, out: Path) -> Path:
    return write_file(lambda p: p.write_text(text, encoding="utf-8"), out)


def new_file(write, folder: Path, stem: str, suffix: str) -> Path:
    """A new file ``folder/<stem>-<time>[-n]<suffix>`` that replaces nothing (for default names)."""
    folder = Path(folder)
    _mkdir(folder)
    fd, tmp = tempfile.mkstemp(prefix=".partial-", suffix=suffix, dir=folder)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~umask())
        base, n = f"{stem}-{stamp()}", 1
        while True:
            final = folder / (f"{base}{suffix}" if n == 1 else f"{base}-{n}{suffix}")
            try:
                os.link(tmp, final)  # fails if the name is taken: never replaces a file
                break
            except FileExistsError:
                n += 1
        return final
    except OSError as e:
        raise UserError(f"cannot write into {folder}: {e.strerror or e}") from None
    finally:
        Path(tmp).unlink(missing_ok=True)


# ------------------------------------------------------------------ manifests
PACKAGES = ("edusim", "numpy", "pandas", "scipy", "simpy", "pydantic", "pyarrow")


def versions() -> dict[str, str]:
    """Python and the versions of the packages the numbers depend on."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def write_manifest(folder: Path, **fields: Any) -> None:
    data = {**fields, "versions": versions(), "created": datetime.now().isoformat(timespec="seconds")}
    (Path(folder) / "manifest.json").write_text(
        json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
    )


def write_yaml(data: dict, path: Path) -> None:
    """Plain data as block-style YAML (keys sorted), read back the same by a YAML 1.2 reader
    (edusim's loader, ruamel.yaml)."""
    import yaml

    with open(path, "w", encoding="utf-8") as f:
        yaml.dump(data, f, Dumper=_dumper(), default_flow_style=False, allow_unicode=True, sort_keys=True)


@functools.cache
def _dumper():
    """PyYAML's dumper (libyaml, in C, where installed: ~10x faster than a pure-Python one) made
    safe for YAML 1.2 readers: text that YAML 1.2 would read as something else (``1e3``, ``0o17``,
    ``True``) is quoted; a float is written as Python writes it (``1e-09``)."""
    import re

    import yaml

    class Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
        pass

    def represent_float(dumper, value: float):
        if value != value:
            text = ".nan"
        elif value in (float("inf"), float("-inf")):
            text = ".inf" if value > 0 else "-.inf"
        else:
            text = repr(value).lower()
        return dumper.represent_scalar("tag:yaml.org,2002:float", text)

    Dumper.add_representer(float, represent_float)
    for tag, pattern, first in (
        (
            "float",
            r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)$|^\.(?:nan|NaN|NAN)$",
            "-+0123456789.",
        ),
        ("int", r"^[-+]?0o?[0-7_]+$|^[-+]?[0-9_]+$|^[-+]?0x[0-9a-fA-F_]+$|^[-+]?0b[0-1_]+$", "-+0123456789"),
    ):
        Dumper.add_implicit_resolver(f"tag:yaml.org,2002:{tag}", re.compile(pattern), list(first))
    return Dumper
