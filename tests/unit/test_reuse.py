"""The key of a job's results, its trust scope and the cost line (gatebot.reuse)."""

from __future__ import annotations

import pytest

from gatebot.errors import InputError
from gatebot.reuse import (
    WHOLE,
    Cost,
    ReuseKey,
    Shard,
    cache_key,
    cost_line,
    duration,
    parse_shard,
    reuse_key,
    trust_scope,
)

KEY = ReuseKey("m", "b", "sha256:model", "sha256:inputs", "sha256:config")
PROVENANCE = {
    "model_digest": "sha256:model",
    "inputs_digest": "sha256:inputs",
    "config_digest": "sha256:config",
}


def test_key__matches_the_provenance_of_results_made_from_the_same_parts() -> None:
    assert KEY.matches(PROVENANCE)
    assert KEY.matches({**PROVENANCE, "dataset_digest": "x", "created_at": "then"})


@pytest.mark.parametrize("field", ["model_digest", "inputs_digest", "config_digest"])
def test_key__one_digest_differs__no_match(field: str) -> None:
    assert not KEY.matches({**PROVENANCE, field: "sha256:other"})


def test_key__shards__a_part_matches_only_its_own_shard() -> None:
    part = ReuseKey("m", "b", "sha256:model", "sha256:inputs", "sha256:config", Shard(1, 3))
    assert part.matches({**PROVENANCE, "shard": "1/3"})
    assert not part.matches(PROVENANCE)
    assert not KEY.matches({**PROVENANCE, "shard": "1/3"})
    assert KEY.matches({**PROVENANCE, "shards": 3})  # merged results are the whole benchmark


def test_key__scope_is_part_of_the_digest() -> None:
    assert KEY.digest("repository") != KEY.digest("fork-someone-repo")
    assert KEY.digest("repository") == ReuseKey(
        *("m", "b", "sha256:model", "sha256:inputs", "sha256:config")
    ).digest("repository")


def test_reuse_key__no_artifacts_or_no_inputs__says_why() -> None:
    no_model = reuse_key("m", "b", model_digest=None, inputs_digest="i", config_digest="c")
    no_inputs = reuse_key("m", "b", model_digest="d", inputs_digest=None, config_digest="c")
    assert isinstance(no_model, str) and "artifacts" in no_model
    assert isinstance(no_inputs, str) and "`inputs`" in no_inputs
    assert reuse_key("m", "b", model_digest="d", inputs_digest="i", config_digest="c") == ReuseKey(
        "m", "b", "d", "i", "c", WHOLE
    )


def _pr(head: str | None, base: str = "octo/repo") -> dict[str, object]:
    return {
        "pull_request": {
            "head": {"repo": {"full_name": head} if head else None},
            "base": {"repo": {"full_name": base}},
        }
    }


@pytest.mark.parametrize(
    ("in_actions", "event", "payload", "scope"),
    [
        (False, "pull_request", _pr("someone/repo"), "local"),
        (True, "push", {}, "repository"),
        (True, "workflow_dispatch", {}, "repository"),
        (True, "pull_request", _pr("octo/repo"), "repository"),
        (True, "pull_request", _pr("Octo/Repo"), "repository"),
        (True, "pull_request", _pr("some one/re:po"), "fork-some-one-re-po"),
        (True, "pull_request", _pr(None), "fork-unknown"),
    ],
)
def test_trust_scope(in_actions: bool, event: str, payload: dict[str, object], scope: str) -> None:
    assert (
        trust_scope(in_actions=in_actions, event_name=event, payload=payload, repository="octo/repo") == scope
    )


def test_cache_key__order_free__prefix_per_scope() -> None:
    other = ReuseKey("m2", "b", "d", "i", "c")
    key, prefix = cache_key([KEY, other], "repository")
    assert key == cache_key([other, KEY], "repository")[0]
    assert prefix == "gatebot-results-1-repository-" and key.startswith(prefix)
    assert cache_key([KEY], "repository")[0] != key


@pytest.mark.parametrize("text", ["3/3", "1", "a/b", "-1/2", "0/0"])
def test_parse_shard__bad__input_error(text: str) -> None:
    with pytest.raises(InputError):
        parse_shard(text)


def test_parse_shard__good() -> None:
    assert parse_shard(" 2 / 5 ") == Shard(2, 5) and str(Shard(2, 5)) == "2/5"


def test_cost_line__run_reused_sharded() -> None:
    line = cost_line(
        [
            Cost("qa for m", None, 4.23),
            Cost("qa for m on the base commit", "the cache folder c", 75.0),
            Cost("big for m", None, 3700.0, shards=4),
        ]
    )
    assert line == (
        "Cost: qa for m: ran in 4.2 s; qa for m on the base commit: reused from the cache folder c "
        "(measured in 1 min 15 s); big for m: ran in 4 shards, 1 h 1 min in all."
    )
    assert cost_line([]) is None
    assert duration(12.4) == "12 s"
