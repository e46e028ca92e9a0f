"""Tables that fit the terminal: labels wrap, numbers never do and are never cut, a table too wide
for the console is split into as few tables as fit, each repeating its labels.

rich finds the width (a terminal's, or ``COLUMNS`` when the output goes to a pipe or a file, else
80); it is never forced. Used by the command line (``cli.py``) for every table it prints.

>>> cell(1234567.0), cell(0.012345), cell(True), cell(float("nan"))
('1,234,567', '0.01235', '✓', '—')
"""

from __future__ import annotations


def console():
    """The console of the printed tables: rich finds the width (a terminal's, or ``COLUMNS`` when
    the output goes to a pipe or a file, else 80); it is never forced."""
    from rich.console import Console

    return Console()


LABEL_MIN = 10  # a label column may be folded down to this width, never less


def as_text(cell):
    from rich.text import Text

    return cell if isinstance(cell, Text) else Text(str(cell))


def width(cells) -> int:
    """The widest line of the cells, in terminal cells (a Chinese character is two)."""
    from rich.cells import cell_len

    return max((cell_len(line) for c in cells for line in as_text(c).plain.split("\n")), default=0)


def head(text: str, width: int) -> str:
    """A number column's header broken into lines no wider than its numbers (at least 6)."""
    import textwrap

    width = max(width, 6)
    return "\n".join(
        w for line in text.split("\n") for w in (textwrap.wrap(line, width, break_long_words=False) or [""])
    )


def need(lead, cols) -> int:
    """The narrowest a table can be with every number in full: labels folded to LABEL_MIN (or the
    column's own minimum), numbers and their headers as they are, borders and padding."""
    labels = sum(min(width([h, *cells]), lo) for h, cells, lo in lead)
    numbers = sum(width([h, *cells]) for h, cells in cols)
    return labels + numbers + 3 * (len(lead) + len(cols)) + 1


def label_col(header: str, cells, minimum: int = LABEL_MIN):
    return (header, cells, minimum)


def num_cols(block):
    """Number columns with their headers broken to the width of their numbers."""
    return [(head(h, width(cells)), cells) for h, cells in block]


def fitted(title: str, lead, blocks, caption: str | None = None) -> None:
    """Print ``lead`` label columns (they wrap) and ``blocks`` of number columns (never wrapped,
    never cut): in one table if it fits the console's width, else in as few tables as fit, each
    repeating the labels. ``lead``: [(header, cells, min width)]; ``blocks``: [[(header, cells)]]."""
    from rich.table import Table

    con = console()
    blocks = [num_cols(b) for b in blocks]
    n = max(len(blocks), 1)
    for k in range(n, 0, -1):
        k = -(-n // -(-n // k))  # as many tables as k allows, of even size
        chunks = [blocks[i : i + k] for i in range(0, len(blocks), k)] or [[]]
        if all(need(lead, [c for b in ch for c in b]) <= con.width for ch in chunks):
            break
    for i, ch in enumerate(chunks):
        part = f" ({i + 1}/{len(chunks)})" if len(chunks) > 1 else ""
        t = Table(title=title + part, caption=caption if i == len(chunks) - 1 else None)
        for h, _cells, _lo in lead:
            t.add_column(h, overflow="fold")
        cols = [c for b in ch for c in b]
        for h, _cells in cols:
            t.add_column(h, justify="right", no_wrap=True)
        rows = len(lead[0][1]) if lead else len(cols[0][1]) if cols else 0
        for r in range(rows):
            t.add_row(
                *[as_text(cells[r]) for _h, cells, _lo in lead], *[as_text(cells[r]) for _h, cells in cols]
            )
        con.print(t)


def table(title: str, df, formats: dict | None = None, text=None, caption: str | None = None) -> None:
    """A data frame as a table that fits: the ``text`` columns (default: those holding text) wrap,
    the others are numbers, formatted by ``formats`` (default ``cell``)."""
    if text is None:
        text = [c for c in df.columns if df[c].dtype == object or str(df[c].dtype) in ("str", "string")]
    cells = {c: [(formats or {}).get(c, cell)(v) for v in df[c]] for c in df.columns}
    lead = [label_col(str(c), cells[c]) for c in df.columns if c in text]
    fitted(title, lead, [[(str(c), cells[c])] for c in df.columns if c not in text], caption)


def cell(v) -> str:
    """A number with no scientific notation: 4 significant digits below 10,000, whole above;
    True/False as ✓/✗."""
    import numpy as np

    if isinstance(v, bool | np.bool_):
        return "✓" if v else "✗"
    if isinstance(v, float | np.floating):
        if v != v:
            return "—"
        if v == int(v) and abs(v) < 1e15:
            return f"{int(v):,}"
        if abs(v) >= 1e4:
            return f"{v:,.0f}"
        digits = max(0, 3 - int(np.floor(np.log10(abs(v))))) if v else 0
        return f"{v:,.{min(digits, 6)}f}"
    return str(v)


def label(zh: str, en: str, unit: str) -> str:
    """An indicator's label with its unit where the number does not say it (not % or persons)."""
    from sim.core.formatting import UNIT_ZH

    u = UNIT_ZH.get(unit) if unit != "persons" else None
    return f"{zh} {en}" + (f" ({u})" if u else "")
