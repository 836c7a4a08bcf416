"""Parsing /gatebot commands strictly, and the state kept in the sticky comment."""

from __future__ import annotations

import base64
import json

import pytest

from gatebot.commands import (
    Acceptance,
    Regression,
    State,
    Verb,
    addressed,
    decode_state,
    digest,
    encode_state,
    parse_commands,
    reply_to,
    respond,
)

SHA = "a" * 40


ES = Regression(model="m", benchmark="b", metric="accuracy", slice_key="language", slice_value="es")
NLL = Regression(model="m", benchmark="b", metric="nll")
OVERALL = Regression(model="m", benchmark="b", metric="accuracy")


def _accept(text: str, state: State) -> State:
    (command,) = parse_commands(text)
    response = respond(command, login="alice", state=state, head_sha=SHA, now="t")
    assert response.state is not None, response.reply
    return response.state


def _state(*acceptances: Acceptance) -> State:
    return State(
        head_sha=SHA,
        run_id="7",
        check_name="gatebot",
        outcome="failed",
        title="1 regression",
        regressions=(
            Regression(model="m", benchmark="b", metric="accuracy", slice_key="language", slice_value="es"),
            Regression(model="m", benchmark="b", metric="nll"),
        ),
        acceptances=acceptances,
    )


def test_accept__target_and_reason() -> None:
    (command,) = parse_commands("Looks fine.\n/gatebot accept language=es we retire Spanish support\nthanks")
    assert (command.verb, command.target, command.reason) == (
        Verb.ACCEPT,
        "language=es",
        "we retire Spanish support",
    )


@pytest.mark.parametrize(
    "body",
    [
        "```\n/gatebot accept all because\n```",
        "~~~sh\n/gatebot accept all because\n~~~",
        "> /gatebot accept all because",
        "    /gatebot accept all because",
        "please run /gatebot accept all because",
    ],
)
def test_command_in_code_quote_or_mid_line__not_a_command(body: str) -> None:
    assert parse_commands(body) == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("<!--\n/gatebot accept all hidden\n-->", id="HTML comment"),
        pytest.param("Thanks! <!--\n/gatebot accept all hidden\n-->", id="inline HTML comment"),
        pytest.param("<pre>\n/gatebot accept all in pre\n</pre>", id="pre"),
        pytest.param("<div>\n/gatebot accept all in a div\n</div>", id="HTML block"),
        pytest.param("> a quote\n/gatebot accept all lazy continuation", id="lazy blockquote continuation"),
        pytest.param("```\ncode\n```text\n/gatebot accept all still in code", id="fence not closed"),
        pytest.param("- /gatebot accept all in a list", id="list item"),
        pytest.param("# /gatebot accept all heading", id="heading"),
        pytest.param("a | b\n--|--\n/gatebot accept all | cell", id="table cell"),
        pytest.param("`code\n/gatebot accept all` in a code span", id="code span across lines"),
    ],
)
def test_command_readers_do_not_see_as_text__not_a_command(body: str) -> None:
    assert parse_commands(body) == []


def test_command_lines__each_line_of_a_top_level_paragraph() -> None:
    body = "Reviewed.\n/gatebot accept all *on* `purpose` [see](https://x.test) <b>now</b>\n\n/gatebot help"
    accept, help_ = parse_commands(body)
    assert (accept.verb, accept.target, accept.reason) == (Verb.ACCEPT, "all", "*on* `purpose` see now")
    assert help_.verb is Verb.HELP


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("/gatebot accept", "needs a target and a reason"),
        ("/gatebot accept accuracy", "needs a reason"),
        ("/gatebot accept a:b now", "target must be"),
        ("/gatebot deploy", "/gatebot deploy is not a command"),
        ("/gatebot rerun now please", "/gatebot rerun is not a command"),
    ],
)
def test_malformed_commands__unknown_with_problem(body: str, problem: str) -> None:
    (command,) = parse_commands(body)
    assert command.verb is Verb.UNKNOWN
    assert problem in command.problem


def test_addressed__cheap_prefilter() -> None:
    assert addressed("hi\n  /gatebot help")
    assert not addressed("gatebot is great")


def test_state__round_trip_through_the_comment_line() -> None:
    state = _state(Acceptance(by="alice", at="t", target="all", reason="--> <!-- sneaky", head_sha=SHA))
    line = encode_state(state)
    assert "-->" not in line.removesuffix(" -->")
    assert decode_state(f"<!-- marker -->\n{line}\nreport") == state


def test_state__garbled__none() -> None:
    assert decode_state("<!-- gatebot:state bm90IGpzb24= -->") is None
    assert decode_state("no state here") is None


def test_respond__accept_slice__covers_only_that_regression() -> None:
    (command,) = parse_commands("/gatebot accept language=es retiring it")
    response = respond(command, login="alice", state=_state(), head_sha=SHA, now="2026-11-25T00:00:00Z")
    assert response.reaction == "+1"
    assert response.state is not None
    assert [r.label for r in response.state.unaccepted()] == ["nll"]
    assert response.state.check_conclusion() == "failure"


def test_respond__accept_all__check_passes_with_who_and_why() -> None:
    (command,) = parse_commands("/gatebot accept all traded for latency")
    response = respond(command, login="alice", state=_state(), head_sha=SHA, now="t")
    assert response.state is not None
    assert response.state.check_conclusion() == "success"
    assert response.state.check_title() == "Accepted by @alice: traded for latency"


def test_respond__head_moved__refuses_with_reason() -> None:
    (command,) = parse_commands("/gatebot accept all ok")
    response = respond(command, login="alice", state=_state(), head_sha="b" * 40, now="t")
    assert response.state is None and response.reaction == "confused"
    assert "wait for the gate on the new commit" in (response.reply or "")


def test_respond__unknown_target__lists_regressions() -> None:
    (command,) = parse_commands("/gatebot accept bleu fine")
    response = respond(command, login="alice", state=_state(), head_sha=SHA, now="t")
    assert response.state is None
    assert "accuracy on language=es" in (response.reply or "")


def test_acceptance_for_old_commit__expired_after_push() -> None:
    old = Acceptance(by="alice", at="t", target="all", reason="ok", head_sha="b" * 40)
    state = _state(old)
    assert state.expired_acceptances() == (old,)
    assert state.check_conclusion() == "failure"


def test_accept_all__another_model_could_not_be_compared__check_still_fails_and_reply_says_why() -> None:
    state = _state().model_copy(update={"blocking": ("m2/b could not be compared",)})
    (command,) = parse_commands("/gatebot accept all traded for latency")
    response = respond(command, login="alice", state=state, head_sha=SHA, now="t")
    assert response.state is not None and response.state.unaccepted() == ()
    assert response.state.check_conclusion() == "failure"
    assert response.state.check_title() == "1 regression"
    assert "still fails: m2/b could not be compared" in (response.reply or "")


def test_accept_all__rerun_of_the_commit_finds_more_regressions__acceptance_lapses() -> None:
    accepted = _accept("/gatebot accept all traded for latency", _state())
    assert accepted.check_conclusion() == "success"
    rerun = accepted.model_copy(update={"regressions": (*accepted.regressions, OVERALL)})
    assert rerun.check_conclusion() == "failure"
    assert rerun.lapsed_acceptances() == accepted.acceptances
    assert [r.label for r in rerun.unaccepted()] == ["accuracy on language=es", "nll", "accuracy"]


def test_accept_a_slice__rerun_adds_a_regression_elsewhere__the_slice_stays_accepted_only() -> None:
    accepted = _accept("/gatebot accept language=es retiring it", _state())
    rerun = accepted.model_copy(update={"regressions": (ES, NLL, OVERALL)})
    assert rerun.current_acceptances() == accepted.acceptances
    assert [r.label for r in rerun.unaccepted()] == ["nll", "accuracy"]
    assert rerun.check_conclusion() == "failure"


def test_acceptance__a_regression_that_went_missing_is_another_regression() -> None:
    accepted = _accept("/gatebot accept nll known", _state())
    missing = NLL.model_copy(update={"missing": True})
    rerun = accepted.model_copy(update={"regressions": (ES, missing)})
    assert rerun.lapsed_acceptances() == accepted.acceptances


def test_digest__order_does_not_matter__content_does() -> None:
    assert digest((ES, NLL)) == digest((NLL, ES)) != digest((ES,))


def test_state_of_the_first_version__not_read() -> None:
    document = _state().model_dump(by_alias=True)
    document["schema"] = "gatebot/state@1"
    raw = base64.b64encode(json.dumps(document).encode()).decode()
    assert decode_state(f"<!-- gatebot:state {raw} -->") is None


@pytest.mark.parametrize(
    "body",
    [
        "/gatebot help",
        "/gatebot approve",
        "/gatebot accept",
        "/gatebot accept bleu @octo-org/team <b>fine</b>",
        "/gatebot accept all ok",
        "/gatebot rerun please",
    ],
)
def test_replies__mention_the_commenter_first__no_line_is_a_command(body: str) -> None:
    (command,) = parse_commands(body)
    for head in (SHA, "b" * 40):
        reply = respond(command, login="alice", state=_state(), head_sha=head, now="t").reply
        if reply is None:
            continue
        assert reply.startswith("@alice ")
        assert reply.count("@") == 1 or "@\u200b" in reply  # any other @ is escaped
        assert parse_commands(reply) == [] and not addressed(reply)


def test_reply_to__a_line_that_would_start_with_a_command__neutralised() -> None:
    reply = reply_to("alice", "see:\n/gatebot accept all x\n  /gatebot help")
    assert reply.startswith("@alice see:") and not addressed(reply) and parse_commands(reply) == []


def test_reply_to__not_a_login__escaped_not_mentioned() -> None:
    assert reply_to("octo-org/team", "hi").startswith("@\u200bocto-org/team")
