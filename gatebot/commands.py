"""Slash commands in pull-request comments, the state gatebot keeps in its sticky comment, and the
comment's overrides block (who accepted what).

Pure: a comment body in, commands out; a state in, a state out. Nothing here is executed, nothing is
interpolated into a shell: a command is recognised only as a whole line `/gatebot <verb> …` outside
code blocks and quotes, its words are matched against fixed verbs, and free text (a reason) is only
ever stored and rendered through the report's escaping.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gatebot import decision
from gatebot.markdown import escape_md, table
from gatebot.verdict import GateReport

STATE_SCHEMA = "gatebot/state@1"
_STATE_LINE = re.compile(r"^<!-- gatebot:state ([A-Za-z0-9+/=]+) -->$", re.M)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_COMMAND = re.compile(r"^/gatebot(?:\s+(.*))?$")
_TARGET = re.compile(
    r"^(?:(?P<metric>[^\s:=]+)|(?P<key>[^\s:=]+)=(?P<value>\S+)|(?P<m>[^\s:=]+):(?P<k>[^\s:=]+)=(?P<v>\S+))$"
)
MAX_REASON = 300


class Verb(Enum):
    ACCEPT = "accept"
    RERUN = "rerun"
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
    "write access can accept; the acceptance holds for the current commit and is recorded in the "
    "comment.\n"
    "- `/gatebot rerun`: evaluate the current commit again.\n"
    "- `/gatebot help`: this message."
)


def addressed(body: str) -> bool:
    """Cheap test: does any line start with /gatebot? (Before any API call is made.)"""
    return any(line.strip().startswith("/gatebot") for line in body.splitlines())


def _command_lines(body: str) -> list[str]:
    """Lines that may hold a command: not inside fenced code, not quoted, not indented code."""
    lines = []
    fence: str | None = None
    for raw in body.splitlines():
        match = _FENCE.match(raw)
        if fence is not None:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
            continue
        if match:
            fence = match.group(1)
            continue
        if raw.startswith(("    ", "\t")) or raw.lstrip().startswith(">"):
            continue
        lines.append(raw.strip())
    return lines


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

    @property
    def label(self) -> str:
        where = f" on {self.slice_key}={self.slice_value}" if self.slice_key is not None else ""
        return f"{self.metric}{where}"

    def accepted_by(self, acceptance: Acceptance) -> bool:
        return covers(acceptance.target, self.metric, self.slice_key, self.slice_value)


class Acceptance(_Strict):
    by: str
    at: str
    target: str
    reason: str = Field(max_length=MAX_REASON)
    head_sha: str


class State(_Strict):
    """What gatebot needs to act on a command without rerunning anything."""

    schema_: Literal["gatebot/state@1"] = Field(default="gatebot/state@1", alias="schema")
    head_sha: str
    run_id: str | None = None
    check_name: str
    outcome: str
    title: str = ""
    regressions: tuple[Regression, ...] = ()
    acceptances: tuple[Acceptance, ...] = ()
    digest: str = ""
    """What was gated: the models, benchmarks and their model, dataset and config digests (a rerun of the
    same head with the same digest is another attempt at the same question)."""
    attempts: tuple[str, ...] = ()
    """The outcomes of earlier attempts on this head with the same digest, oldest first, as this comment
    recorded them."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def current_acceptances(self) -> tuple[Acceptance, ...]:
        return tuple(a for a in self.acceptances if a.head_sha == self.head_sha)

    def expired_acceptances(self) -> tuple[Acceptance, ...]:
        return tuple(a for a in self.acceptances if a.head_sha != self.head_sha)

    def unaccepted(self) -> tuple[Regression, ...]:
        """Regressions that no acceptance for the current head covers."""
        accepted = self.current_acceptances()
        return tuple(r for r in self.regressions if not any(r.accepted_by(a) for a in accepted))

    @property
    def accepted(self) -> bool:
        """A failed gate whose every regression is accepted for the current head."""
        return decision.accepted(
            self.outcome, regressions=len(self.regressions), unaccepted=len(self.unaccepted())
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
        )
        for v in report.verdicts
        for r in v.regressions
    )


def encode_state(state: State) -> str:
    """The hidden comment line; base64 so nothing in it can end the HTML comment early."""
    raw = json.dumps(state.model_dump(by_alias=True), separators=(",", ":"), ensure_ascii=False)
    return f"<!-- gatebot:state {base64.b64encode(raw.encode()).decode()} -->"


def decode_state(body: str) -> State | None:
    """The state in a sticky comment's body; None when absent or unreadable (then nothing is carried)."""
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


def render_overrides(state: State) -> str:
    """Who accepted which regression, and why: the audit trail shown above the report."""
    lines: list[str] = []
    current = state.current_acceptances()
    if current:
        open_count = len(state.unaccepted())
        total = len(state.regressions)
        if total and open_count == 0:
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
    expired = state.expired_acceptances()
    if expired:
        shown = ", ".join(
            f"{escape_md('@' + a.by)} ({escape_md(a.target)}, commit {escape_md(a.head_sha[:7])})"
            for a in expired[-5:]
        )
        lines.append(f"> Acceptances for earlier commits no longer apply after a new push: {shown}.")
        lines.append("")
    return "\n".join(lines) + ("\n" if lines else "")


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


def refused(login: str) -> str:
    return (
        f"Sorry {escape_md('@' + login)}, only people with write access to this repository can give gatebot "
        "commands. A maintainer can accept a regression or rerun the gate for you."
    )


def respond(command: Command, *, login: str, state: State | None, head_sha: str | None, now: str) -> Response:
    """The response to one command of a user who may give commands."""
    if command.verb is Verb.HELP:
        return Response("+1", reply=HELP)
    if command.verb is Verb.UNKNOWN:
        problem = f"{escape_md(command.problem)}. " if command.problem else ""
        return Response("confused", reply=problem + HELP)
    if state is None:
        return Response(
            "confused", reply="There is no gatebot report on this pull request yet: nothing to act on."
        )
    if command.verb is Verb.RERUN:
        return Response("rocket", rerun=True)
    if head_sha != state.head_sha:
        return Response(
            "confused",
            reply=f"The report is for commit {escape_md(state.head_sha[:7])}, but the pull request is now at "
            f"{escape_md((head_sha or '?')[:7])}: wait for the gate on the new commit, then accept again.",
        )
    matching = [r for r in state.regressions if covers(command.target, r.metric, r.slice_key, r.slice_value)]
    if not matching:
        listed = ", ".join(str(escape_md(r.label)) for r in state.regressions) or "none"
        return Response(
            "confused",
            reply=f"No regression matches {escape_md(command.target)} on commit "
            f"{escape_md(state.head_sha[:7])}. Regressions: {listed}.",
        )
    acceptance = Acceptance(
        by=login, at=now, target=command.target, reason=command.reason, head_sha=state.head_sha
    )
    kept = (*state.acceptances, acceptance)[-_KEPT_ACCEPTANCES:]
    return Response("+1", state=state.model_copy(update={"acceptances": kept}))
