"""GitHub markdown: the one escaping function every PR-author-controlled string passes through, the one
mention gatebot makes on purpose, and the one table renderer."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from markupsafe import Markup
from tabulate import tabulate

# Characters that mean something to markdown or HTML become numeric entities, which read as the same
# text in both (a `<summary>` is raw HTML, where backslash escapes do not work) and never split a table.
_ENTITIES = {c: f"&#{ord(c)};" for c in "|`[]*~$\\"}
_ENTITIES.update({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
# An ampersand followed by a space begins no entity in markdown or HTML, so "a & b" is left readable
# where the report is read as plain text (a terminal); one at the end is escaped, since text placed
# after it could complete an entity.
_MD_SPECIAL = re.compile("&(?! )|[" + re.escape("".join(c for c in _ENTITIES if c != "&")) + "]")
_MD_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_MD_LEADING = re.compile(r"^(\d+(?=[.)])|(?=[-+=#]))([-+=.)#])")
_ZERO_WIDTH_SPACE = "\u200b"
_AUTOLINK = re.compile(r"(?i)(://|www\.)")
# GitHub links `#123`, `owner/repo#123` and `GH-123` to issues (and notifies them of the mention).
_ISSUE_REFERENCE = re.compile(r"(?i)(#|\bGH-)(?=\d)")
# A GitHub login: letters, digits and hyphens, at most 39, not starting with a hyphen.
_LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}$")


def trusted(text: str) -> Markup:
    """Mark text built here from numbers and fixed words, or already escaped, as safe to emit as is."""
    return Markup(text)  # noqa: S704 - callers pass only escaped or self-made text


def escape_md(value: object) -> Markup:
    """Escape text for GitHub markdown and HTML alike: no markup, no table breaks, no @mentions, no
    autolinks, no issue references, one line. Safe in table cells, paragraphs and raw HTML such as
    `<summary>`."""
    if isinstance(value, Markup):
        return value
    text = " ".join(str(value).split())
    # Before the entities below, whose `&#NN;` must stay whole.
    text = _ISSUE_REFERENCE.sub(lambda m: m.group(1) + _ZERO_WIDTH_SPACE, text)
    text = _MD_SPECIAL.sub(lambda m: _ENTITIES[m.group(0)], text)
    text = _MD_EDGE_UNDERSCORE.sub("&#95;", text)
    text = _MD_LEADING.sub(lambda m: f"{m.group(1)}&#{ord(m.group(2))};", text)
    text = text.replace("@", "@" + _ZERO_WIDTH_SPACE)
    text = _AUTOLINK.sub(lambda m: m.group(1)[0] + _ZERO_WIDTH_SPACE + m.group(1)[1:], text)
    return trusted(text)


def mention(login: str) -> Markup:
    """`@login`, a mention that notifies: for the person a reply answers, and no one else.

    Anything that is not a plain login (`org/team`, markup) is escaped instead, as every other `@` is.
    """
    return trusted(f"@{login}") if _LOGIN.match(login) else escape_md("@" + login)


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> Markup:
    """The one table renderer: GitHub-flavoured markdown, every cell escaped unless already Markup."""
    body = [[escape_md(cell) for cell in row] for row in rows]
    return trusted(
        tabulate(body, headers=[trusted(h) for h in headers], tablefmt="github", disable_numparse=True)
    )
