"""Slash commands in pull-request comments, the state gatebot keeps in its sticky comment, and the
comment's overrides block (who accepted what).

Pure: a comment body in, commands out; a state in, a state out. Nothing here is executed, nothing is
interpolated into a shell: a command is recognised only as a line `/gatebot <verb> …` that starts a line
of a top-level paragraph, as a CommonMark parser (markdown-it-py) reads the comment, so a command is
obeyed only where readers see it as text: never in code, quotes, lists, HTML or HTML comments. Its
words are matched against fixed verbs, and free text (a reason) is only ever stored and rendered
through the report's escaping. About 500 lines: the commands, the state they act on and the
overrides block are one protocol with the sticky comment, read and changed together.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cache
from itertools import pairwise
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gatebot import decision
from gatebot.markdown import escape_md, mention, table, trusted
from gatebot.verdict import GateReport, Status

STATE_SCHEMA = "gatebot/state@2"
_STATE_LINE = re.compile(r"^<!-- gatebot:state ([A-Za-z0-9+/=]+) -->$", re.M)
_COMMAND = re.compile(r"^/gatebot(?:\s+(.*))?$")
_COMMAND_START = re.compile(r"^([ \t]*)/(?=gatebot)", re.M)
_TARGET = re.compile(
    r"^(?:(?P<metric>[^\s:=]+)|(?P<key>[^\s:=]+)=(?P<value>\S+)|(?P<m>[^\s:=]+):(?P<k>[^\s:=]+)=(?P<v>\S+))$"
)
MAX_REASON = 300


class Verb(Enum):
    ACCEPT = "accept"
    RERUN = "rerun"
    RUN = "run"
    HELP = "help"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Command:
    verb: Verb
    target: str = ""
    reason: str = ""
    problem: str = ""
    """Why the command could not be understood (then the reply is help)."""


HELP = (
    "gatebot understands these commands, each on a line of its own:\n\n"
    "- `/gatebot accept <target> <reason>`: accept a regression on purpose. `<target>` is `all`, a "
    "metric (`accuracy`), a slice (`language=es`) or both (`accuracy:language=es`). Only people with "
    "write access can accept; the acceptance holds for the current commit and the regressions the target "
    "names now, and is recorded in the comment.\n"
    "- `/gatebot rerun`: evaluate the current commit again.\n"
    "- `/gatebot run`: on a fork's pull request, evaluate its current commit with the benchmarks' "
    "secrets, on the base branch's benchmarks, after you have reviewed it. Only people with write access "
    "can run; it holds for that commit only.\n"
    "- `/gatebot help`: this message."
)


def addressed(body: str) -> bool:
    """Cheap test: does any line start with /gatebot? (Before any API call is made.)"""
    return any(line.strip().startswith("/gatebot") for line in body.splitlines())


@cache
def _parser() -> MarkdownIt:
    """CommonMark with GitHub's tables and strikethrough: where GitHub shows a line as a table cell, it
    is not a paragraph's line here either."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _command_lines(body: str) -> list[str]:
    """Lines that may hold a command: each line of a top-level paragraph that starts with plain text.

    Not code (fenced, indented or inline), not a quote (lazy continuation lines included), not a list,
    not a heading, not raw HTML or an HTML comment, block or inline: what readers do not see as a line
    of text is not obeyed.
    """
    lines: list[str] = []
    tokens = _parser().parse(body)
    for opening, inline in pairwise(tokens):
        if opening.type == "paragraph_open" and opening.level == 0 and inline.children is not None:
            lines.extend(_lines_of(inline.children))
    return lines


def _lines_of(children: Sequence[Token]) -> list[str]:
    """The lines of a paragraph's inline tokens that start with text, as readers see them.

    A line starts after a line break; one that starts inside a token spanning lines (an HTML comment,
    a code span) does not start with text. Raw HTML inside a line is left out of it.
    """
    lines: list[list[str]] = []
    current: list[str] | None = None
    at_start = True
    for child in children:
        if child.type in ("softbreak", "hardbreak"):
            current, at_start = None, True
            continue
        if at_start and child.type in ("text", "text_special"):
            current = []
            lines.append(current)
        at_start = False
        if current is not None:
            current.append(_shown(child))
    return [" ".join("".join(parts).split()) for parts in lines]


def _shown(token: Token) -> str:
    if token.type in ("text", "text_special", "image"):
        return token.content
    if token.type == "code_inline":
        return token.markup + token.content + token.markup
    if token.type in ("em_open", "em_close", "strong_open", "strong_close", "s_open", "s_close"):
        return token.markup
    return ""  # links keep only their text (a token of its own); raw HTML is not shown


def parse_commands(body: str) -> list[Command]:
    """Every command in a comment, in order. Anything after `/gatebot` that is not a verb is UNKNOWN."""
    commands = []
    for line in _command_lines(body):
        match = _COMMAND.match(line)
        if not match:
            continue
        words = (match.group(1) or "").split(maxsplit=2)
        verb = words[0].lower() if words else ""
        if verb == "accept":
            commands.append(_accept(words[1:]))
        elif verb == "rerun" and len(words) == 1:
            commands.append(Command(Verb.RERUN))
        elif verb == "run" and len(words) == 1:
            commands.append(Command(Verb.RUN))
        elif verb == "help" and len(words) == 1:
            commands.append(Command(Verb.HELP))
        else:
            commands.append(
                Command(Verb.UNKNOWN, problem=f"/gatebot {verb} is not a command" if verb else "")
            )
    return commands


def _accept(words: Sequence[str]) -> Command:
    if not words:
        return Command(Verb.UNKNOWN, problem="/gatebot accept needs a target and a reason")
    target = words[0]
    if target != "all" and not _TARGET.match(target):
        return Command(
            Verb.UNKNOWN, problem="the target must be all, a metric, key=value or metric:key=value"
        )
    reason = words[1].strip() if len(words) > 1 else ""
    if not reason:
        return Command(Verb.UNKNOWN, problem="/gatebot accept needs a reason after the target")
    return Command(Verb.ACCEPT, target=target, reason=reason[:MAX_REASON])


def covers(target: str, metric: str, slice_key: str | None, slice_value: str | None) -> bool:
    """Whether an acceptance target names a regression (a metric, overall or on one slice)."""
    if target == "all":
        return True
    match = _TARGET.match(target)
    if match is None:
        return False
    if match.group("metric"):
        return metric == match.group("metric")
    if match.group("key"):
        return (slice_key, slice_value) == (match.group("key"), match.group("value"))
    return (metric, slice_key, slice_value) == (match.group("m"), match.group("k"), match.group("v"))


# --- the state in the sticky comment -------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Regression(_Strict):
    model: str
    benchmark: str
    metric: str
    slice_key: str | None = None
    slice_value: str | None = None
    missing: bool = False
    """The gated metric is missing from the candidate, rather than worse."""

    @property
    def label(self) -> str:
        where = f" on {self.slice_key}={self.slice_value}" if self.slice_key is not None else ""
        return f"{self.metric}{where}" + (" (missing)" if self.missing else "")

    def named_by(self, target: str) -> bool:
        return covers(target, self.metric, self.slice_key, self.slice_value)


def digest(regressions: Sequence[Regression]) -> str:
    """Names a set of regressions (in any order): what an acceptance was given for."""
    ids = sorted(r.model_dump_json() for r in regressions)
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]


class Acceptance(_Strict):
    by: str
    at: str
    target: str
    reason: str = Field(max_length=MAX_REASON)
    head_sha: str
    regressions: str = ""
    """The `digest` of the regressions its target named when it was given. It holds while the target
    names exactly those: a rerun that finds others (or loses some) makes it lapse."""


class Approval(_Strict):
    """A maintainer's `/gatebot run`: who, when, and the one commit it let run with the secrets."""

    by: str
    at: str
    head_sha: str = Field(pattern=r"^[0-9a-f]{40}$")


class State(_Strict):
    """What gatebot said on a pull request: a cache for answering commands without rerunning anything.

    Anyone with write access can edit the comment it lives in, so it never says where to write: the
    check's name and commit come from the inputs and the event.
    """

    schema_: Literal["gatebot/state@2"] = Field(default="gatebot/state@2", alias="schema")
    head_sha: str
    run_id: str | None = None
    check_name: str
    """The check the report was published as (a record; the command job publishes its own input's)."""
    outcome: str
    title: str = ""
    regressions: tuple[Regression, ...] = ()
    regression_count: int | None = Field(default=None, ge=0)
    """Every regression found, when `regressions` lists fewer: the list is cut to keep the state small."""
    blocking: tuple[str, ...] = ()
    """What fails the gate that no acceptance can cover (`decision.unacceptable`), in words."""
    acceptances: tuple[Acceptance, ...] = ()
    digest: str = ""
    """What was gated: the models, benchmarks and their model, dataset and config digests (a rerun of the
    same head with the same digest is another attempt at the same question)."""
    attempts: tuple[str, ...] = ()
    """The outcomes of earlier attempts on this head with the same digest, oldest first, as this comment
    recorded them."""
    approval: Approval | None = None
    """The `/gatebot run` the report was evaluated under, with the benchmarks' secrets."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @property
    def total_regressions(self) -> int:
        return max(self.regression_count or 0, len(self.regressions))

    def named_by(self, target: str) -> tuple[Regression, ...]:
        """The regressions an acceptance target names."""
        return tuple(r for r in self.regressions if r.named_by(target))

    def applies(self, acceptance: Acceptance) -> bool:
        """Given for this commit, and for the very regressions its target names now."""
        return acceptance.head_sha == self.head_sha and acceptance.regressions == digest(
            self.named_by(acceptance.target)
        )

    def current_acceptances(self) -> tuple[Acceptance, ...]:
        """The acceptances that hold."""
        return tuple(a for a in self.acceptances if self.applies(a))

    def lapsed_acceptances(self) -> tuple[Acceptance, ...]:
        """Given for this commit, but the regressions they name changed since (a rerun)."""
        return tuple(a for a in self.acceptances if a.head_sha == self.head_sha and not self.applies(a))

    def expired_acceptances(self) -> tuple[Acceptance, ...]:
        return tuple(a for a in self.acceptances if a.head_sha != self.head_sha)

    def unaccepted(self) -> tuple[Regression, ...]:
        """Regressions that no acceptance that holds covers."""
        targets = [a.target for a in self.current_acceptances()]
        return tuple(r for r in self.regressions if not any(r.named_by(t) for t in targets))

    def unaccepted_count(self) -> int:
        """How many regressions no acceptance for the current head covers. Those the cut list does not
        name can be covered only by `all`: a narrower target cannot be matched against them."""
        unlisted = self.total_regressions - len(self.regressions)
        if any(a.target == "all" for a in self.current_acceptances()):
            unlisted = 0
        return len(self.unaccepted()) + unlisted

    @property
    def accepted(self) -> bool:
        """A failed gate whose every regression is accepted for the current head, and nothing else fails."""
        return decision.accepted(
            self.outcome,
            regressions=self.total_regressions,
            unaccepted=self.unaccepted_count(),
            blocking=len(self.blocking),
        )

    def check_conclusion(self) -> Literal["success", "failure", "neutral"]:
        return decision.check_conclusion(self.outcome, accepted=self.accepted)

    def check_title(self) -> str:
        latest = self.current_acceptances()[-1] if self.accepted else None
        return decision.title_after_acceptance(
            self.title, accepted_by=None if latest is None else (latest.by, latest.reason)
        )


def regressions_of(report: GateReport) -> tuple[Regression, ...]:
    return tuple(
        Regression(
            model=v.model,
            benchmark=v.benchmark,
            metric=r.metric,
            slice_key=r.slice_key,
            slice_value=r.slice_value,
            missing=r.status is Status.REMOVED,
        )
        for v in report.verdicts
        for r in v.regressions
    )


def blocking_of(report: GateReport) -> tuple[str, ...]:
    """What fails the report that no acceptance can cover."""
    return tuple(problem for v in report.verdicts for problem in decision.unacceptable(v))


def encode_state(state: State) -> str:
    """The hidden comment line; base64 so nothing in it can end the HTML comment early."""
    raw = json.dumps(state.model_dump(by_alias=True), separators=(",", ":"), ensure_ascii=False)
    return f"<!-- gatebot:state {base64.b64encode(raw.encode()).decode()} -->"


def decode_state(body: str) -> State | None:
    """The state in a sticky comment's body; None when absent or unreadable (then nothing is carried).

    A state of an earlier version is unreadable too: a `gatebot/state@1` acceptance names no regressions,
    so it could not be bound to any, and the next gate run writes a state afresh.
    """
    match = _STATE_LINE.search(body)
    if match is None:
        return None
    try:
        return State.model_validate(json.loads(base64.b64decode(match.group(1), validate=True)))
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError, ValidationError):
        return None


# --- the sticky comment's layout ---------------------------------------------------------------------

OVERRIDES_MARK = "<!-- gatebot:overrides -->"
REPORT_MARK = "<!-- gatebot:report -->"


def compose_comment(marker: str, state: State, overrides: str, report: str) -> str:
    """marker, hidden state, the overrides block (who accepted what), then the report."""
    return f"{marker}\n{encode_state(state)}\n{OVERRIDES_MARK}\n{overrides}{REPORT_MARK}\n{report}"


def report_part(body: str) -> str | None:
    """The report section of a sticky comment gatebot wrote, to keep it as is when only overrides change."""
    _, found, rest = body.partition(REPORT_MARK + "\n")
    return rest if found else None


def blocking_text(state: State) -> Markup:
    """What fails that no acceptance covers, escaped (model names come from the pull request's config)."""
    return trusted("; ".join(escape_md(problem) for problem in state.blocking))


def render_overrides(state: State) -> str:
    """Who accepted which regression, and why: the audit trail shown above the report."""
    lines: list[str] = []
    if state.approval is not None:
        lines.extend([approval_line(state.approval), ""])
    current = state.current_acceptances()
    if current:
        open_count = state.unaccepted_count()
        total = state.total_regressions
        if total and open_count == 0 and state.blocking:
            noun = "regression" if total == 1 else "regressions"
            lines.append(
                f"> ⚠️ All {total} {noun} accepted for commit {escape_md(state.head_sha[:7])}, but the "
                f"check still fails: {blocking_text(state)}. An acceptance covers only the regressions it "
                "names."
            )
        elif total and open_count == 0:
            noun = "regression" if total == 1 else "regressions"
            commit = escape_md(state.head_sha[:7])
            lines.append(f"> ✅ **All {total} {noun} accepted** for commit {commit}: the check passes.")
        elif total:
            lines.append(
                f"> ⚠️ {total - open_count} of {total} regressions accepted for commit "
                f"{escape_md(state.head_sha[:7])}; the others still fail the check."
            )
        lines.append("")
        rows = [(f"@{a.by}", a.at, a.target, a.reason) for a in current]
        lines.append(table(("Accepted by", "When", "What", "Why"), rows))
        lines.append("")
    lapsed = state.lapsed_acceptances()
    if lapsed:
        shown = ", ".join(f"{escape_md('@' + a.by)} ({escape_md(a.target)})" for a in lapsed[-5:])
        lines.append(
            "> Acceptances that no longer apply, because this commit's run found other regressions than "
            f"they were given for: {shown}. Accept again what should pass."
        )
        lines.append("")
    expired = state.expired_acceptances()
    if expired:
        shown = ", ".join(
            f"{escape_md('@' + a.by)} ({escape_md(a.target)}, commit {escape_md(a.head_sha[:7])})"
            for a in expired[-5:]
        )
        lines.append(f"> Acceptances for earlier commits no longer apply after a new push: {shown}.")
        lines.append("")
    return "\n".join(lines) + ("\n" if lines else "")


def approval_line(approval: Approval) -> str:
    """Who let which commit run with the benchmarks' secrets."""
    return (
        f"> 🔑 Evaluated with the benchmarks' secrets on commit {escape_md(approval.head_sha[:7])}, which "
        f"{escape_md('@' + approval.by)} approved with `/gatebot run` at {escape_md(approval.at)}, on the "
        "base branch's benchmarks. The approval holds for this commit only: after a push, a new "
        "`/gatebot run` is needed."
    )


def needs_approval_text(benchmarks: Sequence[str], *, lapsed: Approval | None, head_sha: str) -> str:
    """The first lines of a fork's gate whose benchmarks need secrets it does not get."""
    names = ", ".join(str(escape_md(b)) for b in benchmarks)
    text = (
        f"This evaluation needs a maintainer's `/gatebot run`: benchmark {names} needs secrets, which "
        "GitHub does not give a fork's pull request. A maintainer who has reviewed the change can comment "
        f"`/gatebot run` to evaluate commit {escape_md(head_sha[:7])} on the base branch's benchmarks."
    )
    if lapsed is not None and lapsed.head_sha != head_sha:
        text += (
            f" The approval of {escape_md('@' + lapsed.by)} for commit {escape_md(lapsed.head_sha[:7])} "
            "no longer applies after the push: a new `/gatebot run` is needed."
        )
    return text


# --- answering a command ------------------------------------------------------------------------------

Reaction = Literal["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"]
_KEPT_ACCEPTANCES = 20


@dataclass(frozen=True)
class Response:
    """What to do for one command: built here, carried out by the action."""

    reaction: Reaction
    reply: str | None = None
    state: State | None = None
    rerun: bool = False


def reply_to(login: str, text: str) -> str:
    """A reply to `login`: it mentions them (and no one else), and no line of it starts with a command,
    so gatebot's reply is never obeyed as one, by this gatebot or another (a zero-width space goes first)."""
    return _COMMAND_START.sub("\\1\u200b/", f"{mention(login)} {text}")


def refused(login: str) -> str:
    return (
        f"Sorry {mention(login)}, only people with write access to this repository can give gatebot "
        "commands. A maintainer can accept a regression or rerun the gate for you."
    )


def respond(command: Command, *, login: str, state: State | None, head_sha: str | None, now: str) -> Response:
    """The response to one command of a user who may give commands.

    `head_sha` is the pull request's head as GitHub has it now: a state for another commit is stale, and
    nothing is done with it.
    """
    if command.verb is Verb.HELP:
        return Response("+1", reply=reply_to(login, HELP))
    if command.verb is Verb.UNKNOWN:
        problem = f"{escape_md(command.problem)}. " if command.problem else ""
        return Response("confused", reply=reply_to(login, problem + HELP))
    if state is None:
        return Response(
            "confused",
            reply=reply_to(login, "there is no gatebot report on this pull request yet: nothing to act on."),
        )
    if head_sha != state.head_sha:
        then = ", then accept again." if command.verb is Verb.ACCEPT else "."
        return Response(
            "confused",
            reply=reply_to(
                login,
                f"the report is for commit {escape_md(state.head_sha[:7])}, but the pull request is now at "
                f"{escape_md((head_sha or '?')[:7])}: wait for the gate on the new commit{then}",
            ),
        )
    if command.verb is Verb.RERUN:
        return Response("rocket", rerun=True)
    matching = state.named_by(command.target)
    if not matching:
        listed = ", ".join(str(escape_md(r.label)) for r in state.regressions) or "none"
        return Response(
            "confused",
            reply=reply_to(
                login,
                f"no regression matches {escape_md(command.target)} on commit "
                f"{escape_md(state.head_sha[:7])}. Regressions: {listed}.",
            ),
        )
    acceptance = Acceptance(
        by=login,
        at=now,
        target=command.target,
        reason=command.reason,
        head_sha=state.head_sha,
        regressions=digest(matching),
    )
    kept = (*state.acceptances, acceptance)[-_KEPT_ACCEPTANCES:]
    after = state.model_copy(update={"acceptances": kept})
    still = None
    if after.blocking:
        still = reply_to(
            login,
            f"recorded, but the check still fails: {blocking_text(after)}. An acceptance covers only the "
            "regressions it names.",
        )
    return Response("+1", reply=still, state=after)
