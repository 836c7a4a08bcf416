"""The one escaping function: what a PR author writes reaches GitHub as text, never as markup or links."""

from __future__ import annotations

import re

import cmarkgfm

from gatebot.markdown import escape_md, mention

_ZWSP = "\u200b"


def test_issue_references__broken_so_github_does_not_link_or_notify() -> None:
    text = escape_md("fixes #12, see octo/repo#3 and GH-45; costs $#1")
    assert not re.search(r"(?i)(^|[^&])#\d|GH-\d", text.replace("&#", "&"))
    assert f"#{_ZWSP}12" in text and f"octo/repo#{_ZWSP}3" in text and f"GH-{_ZWSP}45" in text


def test_issue_reference_at_line_start__neither_heading_nor_link() -> None:
    html = cmarkgfm.github_flavored_markdown_to_html(str(escape_md("#1 bad")))
    assert "<h1" not in html and f"#{_ZWSP}1 bad" in html


def test_entities_stay_whole_around_references() -> None:
    assert escape_md("a|#7") == f"a&#124;#{_ZWSP}7"


def test_html_and_links__shown_as_text() -> None:
    html = cmarkgfm.github_flavored_markdown_to_html(
        str(escape_md("<img src=x onerror=alert(1)> [click](https://evil.example) @org/team"))
    )
    assert "<img" not in html and "<a " not in html and "@org" not in html


def test_mention__a_login_notifies__a_team_or_markup_is_escaped() -> None:
    assert mention("maintainer-mia") == "@maintainer-mia"
    assert mention("octo-org/reviewers") == f"@{_ZWSP}octo-org/reviewers"
    assert "<b>" not in mention("<b>x</b>") and _ZWSP in mention("-x")


def test_ampersand__before_a_space_kept__else_an_entity_so_no_entity_can_be_formed() -> None:
    assert escape_md("billing & en") == "billing & en"
    assert escape_md("a&commat;b &#64;c tail&") == f"a&amp;commat;b &amp;#{_ZWSP}64;c tail&amp;"
    html = cmarkgfm.github_flavored_markdown_to_html(str(escape_md("x &") + escape_md("commat;admin & y")))
    assert "@admin" not in html and "x &amp;commat;admin &amp; y" in html
