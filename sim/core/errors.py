"""The errors a user can act on: each names the file, line and key (or the option) and gives a hint.

Everything the CLI shows as one line and exit code 2 is a ``UserError``; any other exception
is a bug, reported with a hint to rerun with ``--debug``.

>>> print(UserError("a rate must be ≤ 1; got 1.2", file="x.yaml", line=4, key="students.primary_entry_rate",
...                 hint="rates are fractions: write 0.95 or \\"95%\\""))
x.yaml:4: students.primary_entry_rate: a rate must be ≤ 1; got 1.2
  hint: rates are fractions: write 0.95 or "95%"
"""

from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """Input that cannot be used: says which file, line and key (or option), and what to do."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        key: str | None = None,
        hint: str | None = None,
    ):
        self.message, self.file, self.line, self.key, self.hint = message, file, line, key, hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = display_path(self.file)
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        key = f"{self.key}: " if self.key else ""
        text = f"{where}{key}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def __reduce__(self):  # picklable with its keywords (errors cross process and Dask boundaries)
        return (_rebuild, (type(self), self.message, self.file, self.line, self.key, self.hint))


def _rebuild(cls, message, file, line, key, hint):
    return cls(message, file=file, line=line, key=key, hint=hint)


# The scenario loader's name for it; one class, so one policy.
ScenarioError = UserError


class ModelError(UserError):
    """A stage produced a value the model does not mean (NaN, ±inf): names the stage and variable."""


def display_path(path: str | Path) -> str:
    """A path relative to the working folder where it is inside it, else as given."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd()))
    except (ValueError, OSError):
        return str(p)
