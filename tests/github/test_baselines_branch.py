"""Baselines on a branch, against the fake GitHub: layout, history, choosing a baseline, corrupt data,
concurrent writers, large results and the requests each step costs.

Assertions read the branch the way a user would with plain git (files at the branch tip, the commit
graph) or through the store's own API; the request log shows what each call costs.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest
import requests
from github import Auth, Github
from pydantic import SecretStr

from gatebot.baselines import BaselineStore
from gatebot.baselines.layout import BACKOFF_CAP_SECONDS, MAX_ATTEMPTS, HistoryEntry
from gatebot.errors import GatebotError, InputError
from gatebot.github.client import GitHubAPIError, connect
from gatebot.github.git_data import github_is_ancestor
from gatebot.results import Results
from tests.factories import make_results
from tests.fakegithub import FakeGitHub, Repository
from tests.fakegithub.git import BLOB_MODE
from tests.github.harness import SUBMODULE_MODE, SYMLINK_MODE, commit_entry

from .conftest import GATEBOT_PERMISSIONS, READ_ONLY_PERMISSIONS, WRITE_TOKEN

BRANCH = "gatebot-baselines"
HISTORY = "baselines/router/tickets/history.jsonl"
WHEN = "2024-05-01T12:00:00Z"


def sha(n: int) -> str:
    """A commit id of the code repository (the store does not need the commit to exist)."""
    return f"{n:040x}"


def router(seed: int = 0, *, n: int = 20, model: str = "router", benchmark: str = "tickets") -> Results:
    rng = np.random.default_rng(seed)
    return make_results(
        {"accuracy": rng.integers(0, 2, n).tolist()},
        slices={"language": ["en", "es"] * (n // 2)},
        model=model,
        benchmark=benchmark,
        provenance={"seed": seed},
    )


def history_lines(repo: Repository, path: str = HISTORY) -> list[dict[str, Any]]:
    data = repo.file(path, BRANCH)
    assert data is not None, f"{path} is not on {BRANCH}"
    return [json.loads(line) for line in data.decode().splitlines()]


def branch_files(repo: Repository) -> set[str]:
    tip = repo.branch(BRANCH)
    assert tip is not None
    return set(repo.store.flatten(repo.store.commits[tip].tree))


def same_results(got: Results, want: Results) -> None:
    assert (got.model, got.benchmark, got.metrics, got.provenance) == (
        want.model,
        want.benchmark,
        want.metrics,
        want.provenance,
    )
    assert got.examples is not None and want.examples is not None
    assert got.examples.ids == want.examples.ids
    for name, column in want.examples.scores.items():
        np.testing.assert_array_equal(got.examples.scores[name], column)
    for key, column in want.examples.slices.items():
        got_values = [got.examples.slices[key].levels[c] for c in got.examples.slices[key].codes]
        assert got_values == [column.levels[c] for c in column.codes]


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def store(gh: Github, repo: Repository, sleeps: list[float]) -> BaselineStore:
    return BaselineStore(gh, repo.full_name, sleep=sleeps.append, rng=random.Random(7))


def writer(fake: FakeGitHub, repo: Repository) -> BaselineStore:
    """Another run recording baselines: its own client, as a separate job would have."""
    fake.add_token(WRITE_TOKEN, GATEBOT_PERMISSIONS)
    return BaselineStore(fake.client(WRITE_TOKEN), repo.full_name, sleep=lambda _: None)


# -- creating and appending --------------------------------------------------------------------------


def test_first_record__creates_an_orphan_branch_with_readme_layout_history_and_entry(
    store: BaselineStore, repo: Repository
) -> None:
    results = router()

    outcome = store.record(results, commit=sha(1), recorded_at=WHEN, run_url="https://github.com/o/r/runs/1")

    tip = repo.branch(BRANCH)
    assert (outcome.branch_commit, outcome.attempts, outcome.appended) == (tip, 1, True)
    assert tip is not None and repo.store.commits[tip].parents == ()
    assert repo.store.merge_base(tip, repo.branch("main") or "") is None
    entry = outcome.entry.entry
    assert entry.startswith(f"baselines/router/tickets/entries/{sha(1)}-") and entry.endswith(".json.gz")
    assert branch_files(repo) == {"README.md", "layout.json", HISTORY, entry}
    readme = (repo.file("README.md", BRANCH) or b"").decode()
    assert "git show origin/gatebot-baselines:baselines/<model>/<benchmark>/history.jsonl" in readme
    assert json.loads(repo.file("layout.json", BRANCH) or b"") == {"schema": "gatebot/baselines-branch@1"}
    (line,) = history_lines(repo)
    assert line == {
        "schema": "gatebot/baseline-history@2",  # the results have slices: @2 carries their means
        "commit": sha(1),
        "recorded_at": WHEN,
        "metrics": results.metrics,
        "provenance": {"seed": 0},
        "entry": entry,
        "entry_sha256": outcome.entry.entry_sha256,
        "run_url": "https://github.com/o/r/runs/1",
        "slices": {"language=en": {"accuracy": 0.7}, "language=es": {"accuracy": 0.7}},
    }
    document = json.loads(gzip.decompress(repo.file(entry, BRANCH) or b""))
    assert (document["schema"], document["model"], len(document["examples"])) == (
        "gatebot/results@1",
        "router",
        20,
    )


def test_second_record__appends_one_line_in_a_commit_on_top_of_the_first(
    store: BaselineStore, repo: Repository
) -> None:
    first = store.record(router(1), commit=sha(1), recorded_at="2024-05-01T12:00:00Z")
    before = repo.file(HISTORY, BRANCH) or b""

    second = store.record(router(2), commit=sha(2), recorded_at="2024-05-02T12:00:00+02:00")

    assert repo.store.commits[second.branch_commit].parents == (first.branch_commit,)
    after = repo.file(HISTORY, BRANCH) or b""
    assert after.startswith(before)
    assert [line["commit"] for line in history_lines(repo)] == [sha(1), sha(2)]
    history = store.history("router", "tickets")
    assert [(e.commit, e.line, e.recorded_at) for e in history] == [
        (sha(1), 1, "2024-05-01T12:00:00Z"),
        (sha(2), 2, "2024-05-02T12:00:00+02:00"),
    ]
    same_results(store.load(history[0]), router(1))
    same_results(store.load(history[1]), router(2))
    assert second.entry == history[1]


def test_two_models_and_two_benchmarks__each_pair_keeps_its_own_history(store: BaselineStore) -> None:
    store.record(router(1), commit=sha(1), recorded_at=WHEN)
    store.record(router(2, model="triage"), commit=sha(1), recorded_at=WHEN)
    store.record(router(3, benchmark="emails"), commit=sha(2), recorded_at=WHEN)
    store.record(router(4, model="triage"), commit=sha(2), recorded_at=WHEN)

    assert [e.commit for e in store.history("router", "tickets")] == [sha(1)]
    assert [e.commit for e in store.history("router", "emails")] == [sha(2)]
    assert [e.commit for e in store.history("triage", "tickets")] == [sha(1), sha(2)]
    assert store.history("triage", "emails") == []
    same_results(store.load(store.history("triage", "tickets")[1]), router(4, model="triage"))


def test_no_branch_yet__history_is_empty_and_no_baseline_is_found(
    store: BaselineStore, repo: Repository
) -> None:
    assert store.history("router", "tickets") == []
    assert store.find_baseline("router", "tickets", base_sha=sha(1), is_ancestor=lambda a, d: True) is None
    assert repo.branch(BRANCH) is None


def test_rerun_with_identical_results__appends_nothing(store: BaselineStore, repo: Repository) -> None:
    first = store.record(router(1), commit=sha(1), recorded_at=WHEN, run_url="https://x/runs/1")
    tip = repo.branch(BRANCH)

    again = store.record(
        router(1), commit=sha(1), recorded_at="2024-05-03T00:00:00Z", run_url="https://x/runs/2"
    )

    assert (again.appended, again.branch_commit, again.entry.recorded_at) == (False, tip, WHEN)
    assert again.entry.entry == first.entry.entry
    assert repo.branch(BRANCH) == tip
    assert len(history_lines(repo)) == 1


def test_same_commit_recorded_with_different_results__appended_beside_the_first_and_newest_wins(
    store: BaselineStore, repo: Repository
) -> None:
    first = store.record(router(1), commit=sha(1), recorded_at=WHEN)
    second = store.record(router(2), commit=sha(1), recorded_at=WHEN)
    back = store.record(router(1), commit=sha(1), recorded_at=WHEN)

    assert [o.appended for o in (first, second, back)] == [True, True, True]
    assert first.entry.entry != second.entry.entry
    assert back.entry.entry == first.entry.entry  # the same results reuse their file
    assert len([f for f in branch_files(repo) if "/entries/" in f]) == 2
    history = store.history("router", "tickets")
    assert len(history) == 3
    same_results(store.load(history[1]), router(2))
    chosen = store.find_baseline("router", "tickets", base_sha=sha(1), is_ancestor=lambda a, d: False)
    assert chosen == history[2]
    same_results(store.load(history[0]), router(1))


def test_branch_name_is_configurable(gh: Github, repo: Repository) -> None:
    store = BaselineStore(gh, repo.full_name, branch="ml/baselines")

    store.record(router(), commit=sha(1), recorded_at=WHEN)

    assert repo.branch("ml/baselines") is not None and repo.branch(BRANCH) is None
    assert [e.commit for e in store.history("router", "tickets")] == [sha(1)]


def test_existing_branch_that_gatebot_did_not_create__read_and_record_refuse(
    store: BaselineStore, repo: Repository
) -> None:
    main = repo.branch("main") or ""
    repo.set_ref(f"refs/heads/{BRANCH}", main)

    with pytest.raises(InputError, match="exists but is not a gatebot baselines branch") as read:
        store.history("router", "tickets")
    with pytest.raises(InputError, match="not a gatebot baselines branch"):
        store.record(router(), commit=sha(1), recorded_at=WHEN)

    assert "\n" not in read.value.one_line()
    assert repo.branch(BRANCH) == main


def test_record__bad_commit_time_or_nan_metric__refused_before_any_request(
    fake_github: FakeGitHub, store: BaselineStore
) -> None:
    with pytest.raises(InputError, match="'main' is not a full commit SHA"):
        store.record(router(), commit="main", recorded_at=WHEN)
    with pytest.raises(ValueError, match="not an RFC 3339 time with an offset"):
        store.record(router(), commit=sha(1), recorded_at="2024-05-01T12:00:00")

    with pytest.raises(InputError, match=r"^router/tickets: metrics.accuracy is not a finite number"):
        store.record(
            make_results(
                {"accuracy": [1, 0]}, metrics={"accuracy": float("nan")}, model="router", benchmark="tickets"
            ),
            commit=sha(1),
            recorded_at=WHEN,
        )

    assert len(fake_github.log) == 0


def test_read_only_token__record_fails_with_one_line_naming_contents_write(
    fake_github: FakeGitHub, repo: Repository, gh_read_only: Github
) -> None:
    store = BaselineStore(gh_read_only, repo.full_name)

    with pytest.raises(GitHubAPIError) as raised:
        store.record(router(), commit=sha(1), recorded_at=WHEN)

    assert raised.value.status == 403
    assert "contents: write" in raised.value.one_line()
    assert repo.branch(BRANCH) is None


# -- choosing the baseline ----------------------------------------------------------------------------


@pytest.fixture
def graph(repo: Repository) -> dict[str, str]:
    """main: c1 → c2 → c3; side branches off c1 with one commit of its own."""
    c1 = repo.commit({"model.txt": "1"}, message="c1")
    c2 = repo.commit({"model.txt": "2"}, message="c2")
    c3 = repo.commit({"model.txt": "3"}, message="c3")
    side = repo.commit({"model.txt": "side"}, branch=None, parents=[c1], message="side")
    repo.set_ref("refs/heads/side", side)
    return {"c1": c1, "c2": c2, "c3": c3, "side": side}


@pytest.fixture
def is_ancestor(gh: Github, repo: Repository) -> Callable[[str, str], bool]:
    return github_is_ancestor(gh, repo.full_name)


@pytest.fixture
def recorded(store: BaselineStore, graph: dict[str, str]) -> dict[str, HistoryEntry]:
    return {
        name: store.record(router(i), commit=graph[name], recorded_at=WHEN).entry
        for i, name in enumerate(("c1", "c3", "side"))
    }


def test_find_baseline__base_between_two_records__gets_the_older_ancestor(
    store: BaselineStore,
    is_ancestor: Callable[[str, str], bool],
    graph: dict[str, str],
    recorded: dict[str, HistoryEntry],
) -> None:
    chosen = store.find_baseline("router", "tickets", base_sha=graph["c2"], is_ancestor=is_ancestor)

    assert chosen == recorded["c1"]
    same_results(store.load(chosen), router(0))


def test_find_baseline__base_is_a_recorded_commit__gets_it_without_comparing(
    fake_github: FakeGitHub,
    store: BaselineStore,
    is_ancestor: Callable[[str, str], bool],
    graph: dict[str, str],
    recorded: dict[str, HistoryEntry],
) -> None:
    fake_github.log.clear()

    chosen = store.find_baseline("router", "tickets", base_sha=graph["c3"], is_ancestor=is_ancestor)

    assert chosen == recorded["c3"]
    assert fake_github.log.count(operation="repos/compare-commits") == 0


def test_find_baseline__side_branch_record__never_chosen_for_main(
    store: BaselineStore,
    is_ancestor: Callable[[str, str], bool],
    repo: Repository,
    graph: dict[str, str],
    recorded: dict[str, HistoryEntry],
) -> None:
    later_on_main = repo.commit({"model.txt": "4"}, message="c4")

    chosen = {
        name: store.find_baseline("router", "tickets", base_sha=base, is_ancestor=is_ancestor)
        for name, base in (("c2", graph["c2"]), ("c3", graph["c3"]), ("c4", later_on_main))
    }

    assert chosen == {"c2": recorded["c1"], "c3": recorded["c3"], "c4": recorded["c3"]}
    on_side = store.find_baseline("router", "tickets", base_sha=graph["side"], is_ancestor=is_ancestor)
    assert on_side == recorded["side"]


def test_find_baseline__asks_newest_first_stops_at_first_ancestor_and_caches_answers(
    fake_github: FakeGitHub,
    store: BaselineStore,
    is_ancestor: Callable[[str, str], bool],
    graph: dict[str, str],
    recorded: dict[str, HistoryEntry],
) -> None:
    fake_github.log.clear()

    store.find_baseline("router", "tickets", base_sha=graph["c2"], is_ancestor=is_ancestor)
    store.find_baseline("router", "tickets", base_sha=graph["c2"], is_ancestor=is_ancestor)

    compares = [r.path.rsplit("/", 1)[-1] for r in fake_github.log.find(operation="repos/compare-commits")]
    c1, c2, c3, side = (graph[k] for k in ("c1", "c2", "c3", "side"))
    assert compares == [f"{side}...{c2}", f"{c3}...{c2}", f"{c1}...{c2}"]


def test_find_baseline__commit_unknown_to_github__is_no_ancestor(
    store: BaselineStore, is_ancestor: Callable[[str, str], bool], graph: dict[str, str]
) -> None:
    store.record(router(), commit=sha(99), recorded_at=WHEN)

    assert store.find_baseline("router", "tickets", base_sha=graph["c2"], is_ancestor=is_ancestor) is None


# -- corrupt data -------------------------------------------------------------------------------------


def test_corrupted_history_line__names_branch_file_and_line__record_refuses(
    store: BaselineStore, repo: Repository
) -> None:
    store.record(router(1), commit=sha(1), recorded_at=WHEN)
    good = repo.file(HISTORY, BRANCH) or b""
    repo.commit({HISTORY: good + b'{"schema":"gatebot/baseline-history@1","commit":\n'}, branch=BRANCH)
    tip = repo.branch(BRANCH)

    with pytest.raises(InputError) as read:
        store.history("router", "tickets")
    with pytest.raises(InputError) as write:
        store.record(router(2), commit=sha(2), recorded_at=WHEN)

    message = read.value.one_line()
    assert message.startswith(f"gatebot-baselines:{HISTORY}:2: ")
    assert f"git show origin/gatebot-baselines:{HISTORY}" in message
    assert write.value.one_line() == message
    assert repo.branch(BRANCH) == tip
    assert repo.file(HISTORY, BRANCH) == good + b'{"schema":"gatebot/baseline-history@1","commit":\n'


def test_history_line_breaking_the_format__names_the_field(store: BaselineStore, repo: Repository) -> None:
    store.record(router(1), commit=sha(1), recorded_at=WHEN)
    line = history_lines(repo)[0]
    line["commit"] = "not-a-sha"
    repo.commit({HISTORY: json.dumps(line) + "\n"}, branch=BRANCH)

    with pytest.raises(
        InputError, match=rf"^gatebot-baselines:{HISTORY}:1: commit: Expected str matching regex"
    ):
        store.history("router", "tickets")


def test_unknown_history_schema_version__asks_to_upgrade__record_refuses(
    store: BaselineStore, repo: Repository
) -> None:
    store.record(router(1), commit=sha(1), recorded_at=WHEN)
    newer = {**history_lines(repo)[0], "schema": "gatebot/baseline-history@9", "extra": 1}
    repo.commit(
        {HISTORY: (repo.file(HISTORY, BRANCH) or b"") + json.dumps(newer).encode() + b"\n"}, branch=BRANCH
    )
    tip = repo.branch(BRANCH)

    with pytest.raises(InputError) as read:
        store.history("router", "tickets")
    with pytest.raises(InputError):
        store.record(router(2), commit=sha(2), recorded_at=WHEN)

    assert read.value.message == (
        f"gatebot-baselines:{HISTORY}:2: "
        "schema 'gatebot/baseline-history@9' is a format this gatebot does not know"
    )
    assert "upgrade gatebot" in read.value.hint
    assert repo.branch(BRANCH) == tip


def test_unknown_layout_version__refuses_to_read_or_write(store: BaselineStore, repo: Repository) -> None:
    store.record(router(1), commit=sha(1), recorded_at=WHEN)
    repo.commit({"layout.json": '{"schema": "gatebot/baselines-branch@2"}\n'}, branch=BRANCH)
    tip = repo.branch(BRANCH)

    with pytest.raises(InputError, match=r"^gatebot-baselines:layout.json: schema .*@2"):
        store.history("router", "tickets")
    with pytest.raises(InputError) as write:
        store.record(router(2), commit=sha(2), recorded_at=WHEN)
    assert "upgrade gatebot" in write.value.hint
    assert repo.branch(BRANCH) == tip


def test_entry_that_is_not_gzip__load_names_the_file__rerun_refuses_and_keeps_it(
    store: BaselineStore, repo: Repository
) -> None:
    first = store.record(router(1), commit=sha(1), recorded_at=WHEN)
    path = first.entry.entry
    repo.commit({path: b"{not gzip"}, branch=BRANCH)
    tip = repo.branch(BRANCH)
    (entry,) = store.history("router", "tickets")

    with pytest.raises(InputError) as load:
        store.load(entry)
    with pytest.raises(InputError) as rerun:
        store.record(router(1), commit=sha(1), recorded_at=WHEN)

    assert load.value.one_line().startswith(f"gatebot-baselines:{path}: not a readable gzip file")
    assert rerun.value.message == load.value.message
    assert repo.branch(BRANCH) == tip
    assert repo.file(path, BRANCH) == b"{not gzip"
    # A record for another commit builds on nothing broken: it is appended, the broken file stays.
    assert store.record(router(2), commit=sha(2), recorded_at=WHEN).appended
    assert repo.file(path, BRANCH) == b"{not gzip"


def test_entry_replaced_by_other_results__load_reports_the_digest_mismatch(
    store: BaselineStore, repo: Repository
) -> None:
    first = store.record(router(1), commit=sha(1), recorded_at=WHEN)
    other = store.record(router(2), commit=sha(2), recorded_at=WHEN)
    repo.commit({first.entry.entry: repo.file(other.entry.entry, BRANCH)}, branch=BRANCH)

    with pytest.raises(
        InputError, match=rf"{first.entry.entry}: content does not match the entry_sha256 on line 1"
    ):
        store.load(store.history("router", "tickets")[0])


def test_entry_with_bad_json_inside_the_gzip__names_the_file(store: BaselineStore, repo: Repository) -> None:
    first = store.record(router(1), commit=sha(1), recorded_at=WHEN)
    broken = b'{"schema": "gatebot/results@1", "model": '
    line = {**history_lines(repo)[0], "entry_sha256": hashlib.sha256(broken).hexdigest()}
    repo.commit(
        {first.entry.entry: gzip.compress(broken), HISTORY: json.dumps(line) + "\n"},
        branch=BRANCH,
    )

    with pytest.raises(InputError, match=rf"^gatebot-baselines:{first.entry.entry}: the JSON ends early"):
        store.load(store.history("router", "tickets")[0])


@pytest.mark.parametrize(
    ("corruption", "said"),
    [
        (("baselines/router", BLOB_MODE, "notes"), "is a file where the baselines layout has a directory"),
        (
            ("baselines/router", SYMLINK_MODE, "../x"),
            "is a symbolic link where the baselines layout has a directory",
        ),
        (
            ("baselines/router/tickets", SUBMODULE_MODE, "ab" * 20),
            "is a submodule where the baselines layout has a directory",
        ),
        (
            ("baselines/router/tickets/history.jsonl", SYMLINK_MODE, "../../x"),
            "is a symbolic link where the baselines layout has a regular file",
        ),
        (("baselines", BLOB_MODE, ""), "is a file where the baselines layout has a directory"),
        (
            ("layout.json", SYMLINK_MODE, "baselines"),
            "is a symbolic link where the baselines layout has a regular file",
        ),
    ],
)
def test_shape_the_layout_does_not_allow__read_and_record_name_the_path__nothing_overwritten(
    store: BaselineStore, repo: Repository, corruption: tuple[str, str, str], said: str
) -> None:
    path, mode, target = corruption
    store.record(router(1), commit=sha(1), recorded_at=WHEN)
    commit_entry(repo, BRANCH, path, mode, target)
    tip = repo.branch(BRANCH)

    with pytest.raises(InputError) as read:
        store.history("router", "tickets")
    with pytest.raises(InputError) as found_baseline:
        store.find_baseline("router", "tickets", base_sha=sha(1), is_ancestor=lambda _a, _d: True)
    with pytest.raises(InputError) as write:
        store.record(router(2), commit=sha(2), recorded_at=WHEN)

    message = read.value.one_line()
    assert message.startswith(f"gatebot-baselines:{path}: {said}; gatebot neither reads nor writes over it")
    assert "\n" not in message
    assert f"git show origin/gatebot-baselines:{path}" in message
    assert found_baseline.value.one_line() == message == write.value.one_line()
    assert repo.branch(BRANCH) == tip


def test_entries_directory_turned_into_a_file__load_and_record_refuse__nothing_overwritten(
    store: BaselineStore, repo: Repository
) -> None:
    store.record(router(1), commit=sha(1), recorded_at=WHEN)
    entries = "baselines/router/tickets/entries"
    repo.commit({entries: "not a directory"}, branch=BRANCH)
    tip = repo.branch(BRANCH)
    (entry,) = store.history("router", "tickets")  # the history itself is intact

    with pytest.raises(InputError, match=rf"^gatebot-baselines:{entries}: is a file where .* a directory"):
        store.load(entry)
    with pytest.raises(InputError, match=rf"^gatebot-baselines:{entries}: is a file where"):
        store.record(router(2), commit=sha(2), recorded_at=WHEN)
    assert repo.branch(BRANCH) == tip
    assert repo.file(entries, BRANCH) == b"not a directory"


def test_entry_file_turned_into_a_symbolic_link__load_names_it(
    store: BaselineStore, repo: Repository
) -> None:
    first = store.record(router(1), commit=sha(1), recorded_at=WHEN)
    commit_entry(repo, BRANCH, first.entry.entry, SYMLINK_MODE, "../../other/entry.json.gz")

    with pytest.raises(
        InputError,
        match=rf"^gatebot-baselines:{first.entry.entry}: is a symbolic link where .* a regular file",
    ):
        store.load(store.history("router", "tickets")[0])


def test_entry_file_missing__load_names_it(store: BaselineStore, repo: Repository) -> None:
    first = store.record(router(1), commit=sha(1), recorded_at=WHEN)
    repo.commit({first.entry.entry: None}, branch=BRANCH)

    with pytest.raises(
        InputError, match=rf"{first.entry.entry}: the entry file named on line 1 .* is missing"
    ):
        store.load(store.history("router", "tickets")[0])


# -- concurrent writers -------------------------------------------------------------------------------


class Hop:
    """An HTTP hop between one client and the fake that runs `before` ahead of the first request
    matching `method` and `path_suffix`, then forwards it: a way to put another writer between one
    writer's read of the branch and its write, deterministically and without touching gatebot."""

    def __init__(self, target: str, method: str, path_suffix: str, before: Callable[[], None]) -> None:
        self.fired = 0
        hop = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if not hop.fired and self.command == method and self.path.split("?")[0].endswith(path_suffix):
                    hop.fired += 1
                    before()
                skip = {"host", "content-length", "connection"}
                answer = requests.request(
                    self.command,
                    target + self.path,
                    headers={k: v for k, v in self.headers.items() if k.lower() not in skip},
                    data=body,
                    timeout=30,
                    allow_redirects=False,
                )
                self.send_response(answer.status_code)
                dropped = {"content-length", "content-encoding", "transfer-encoding", "connection"}
                for key, value in answer.headers.items():
                    if key.lower() not in dropped:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PATCH = forward

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> Hop:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def client_via(hop: Hop) -> Github:
    """A client like `fake_github.client(WRITE_TOKEN)` whose requests pass through `hop`."""
    return Github(
        base_url=hop.url,
        auth=Auth.Token(WRITE_TOKEN),
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
        timeout=10,
    )


@pytest.fixture
def hop(fake_github: FakeGitHub) -> Iterator[Callable[[str, str, Callable[[], None]], Hop]]:
    opened: list[Hop] = []

    def open_hop(method: str, path_suffix: str, before: Callable[[], None]) -> Hop:
        opened.append(Hop(fake_github.url, method, path_suffix, before).__enter__())
        return opened[-1]

    yield open_hop
    for each in opened:
        each.__exit__()


def test_writer_overtaken_between_read_and_ref_update__retries_on_the_new_tip__both_records_kept(
    fake_github: FakeGitHub,
    store: BaselineStore,
    repo: Repository,
    sleeps: list[float],
    hop: Callable[[str, str, Callable[[], None]], Hop],
) -> None:
    store.record(router(0), commit=sha(1), recorded_at=WHEN)
    other = writer(fake_github, repo)
    overtaken: list[str] = []
    slow_hop = hop(
        "PATCH",
        f"/git/refs/heads/{BRANCH}",
        lambda: overtaken.append(other.record(router(2), commit=sha(2), recorded_at=WHEN).branch_commit),
    )
    slow = BaselineStore(client_via(slow_hop), repo.full_name, sleep=sleeps.append, rng=random.Random(1))

    outcome = slow.record(router(3), commit=sha(3), recorded_at=WHEN)

    assert slow_hop.fired == 1
    assert outcome.attempts == 2 and len(sleeps) == 1
    assert repo.store.commits[outcome.branch_commit].parents == (overtaken[0],)
    assert [line["commit"] for line in history_lines(repo)] == [sha(1), sha(2), sha(3)]
    history = store.history("router", "tickets")
    for entry, seed in zip(history, (0, 2, 3), strict=True):
        same_results(store.load(entry), router(seed))
    conflicts = fake_github.log.find("PATCH", f"*/git/refs/heads/{BRANCH}", status=422)
    assert [r.response["message"] for r in conflicts] == ["Update is not a fast forward"]
    assert fake_github.log.count("POST", "*/git/blobs") == 3  # the retry reused its uploaded entry


def test_two_first_writers_race_to_create_the_branch__loser_appends_to_the_winners_branch(
    fake_github: FakeGitHub,
    repo: Repository,
    sleeps: list[float],
    hop: Callable[[str, str, Callable[[], None]], Hop],
) -> None:
    other = writer(fake_github, repo)

    def overtake() -> None:
        other.record(router(1), commit=sha(1), recorded_at=WHEN)

    late = BaselineStore(client_via(hop("POST", "/git/refs", overtake)), repo.full_name, sleep=sleeps.append)

    outcome = late.record(router(2), commit=sha(2), recorded_at=WHEN)

    assert outcome.attempts == 2
    assert [r.response["message"] for r in fake_github.log.find("POST", "*/git/refs", status=422)] == [
        "Reference already exists"
    ]
    assert [line["commit"] for line in history_lines(repo)] == [sha(1), sha(2)]
    tip = repo.branch(BRANCH) or ""
    root = [c for c in repo.store.log(tip) if not repo.store.commits[c].parents]
    assert len(root) == 1  # one orphan root: the loser's own root commit was dropped


@pytest.mark.parametrize("writers", [2, 4])
def test_writers_in_threads_on_one_pair__every_record_lands_once(
    fake_github: FakeGitHub, repo: Repository, writers: int
) -> None:
    fake_github.add_token(WRITE_TOKEN, GATEBOT_PERMISSIONS)
    stores = [
        BaselineStore(
            fake_github.client(WRITE_TOKEN),
            repo.full_name,
            sleep=lambda seconds: time.sleep(seconds / 100),
            rng=random.Random(i),
        )
        for i in range(writers)
    ]
    start = threading.Barrier(writers)
    outcomes: dict[int, Any] = {}

    def run(i: int) -> None:
        start.wait()
        try:
            outcomes[i] = stores[i].record(router(i), commit=sha(i + 1), recorded_at=WHEN)
        except Exception as error:  # reported below with the others
            outcomes[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert all(not isinstance(o, Exception) for o in outcomes.values()), outcomes
    assert sorted(line["commit"] for line in history_lines(repo)) == [sha(i + 1) for i in range(writers)]
    assert max(o.attempts for o in outcomes.values()) <= writers
    history = stores[0].history("router", "tickets")
    for entry in history:
        same_results(stores[0].load(entry), router(int(entry.commit, 16) - 1))
    tip = repo.branch(BRANCH) or ""
    assert len(repo.store.log(tip)) == writers  # one commit per record, in a line


def test_branch_moving_on_every_attempt__gives_up_after_bounded_backoff_with_one_line(
    fake_github: FakeGitHub, store: BaselineStore, repo: Repository, sleeps: list[float]
) -> None:
    store.record(router(0), commit=sha(1), recorded_at=WHEN)
    tip = repo.branch(BRANCH)
    fake_github.faults.add(
        "PATCH",
        "/repos/{owner}/{repo}/git/refs/heads/gatebot-baselines",
        status=422,
        body={
            "message": "Update is not a fast forward",
            "documentation_url": "https://docs.github.com/rest/git/refs#update-a-reference",
        },
        times=MAX_ATTEMPTS,
    )

    with pytest.raises(GatebotError) as raised:
        store.record(router(1), commit=sha(2), recorded_at=WHEN)

    assert raised.value.one_line().startswith(
        "the baselines branch gatebot-baselines of octo-org/octo-repo is too busy"
    )
    assert len(sleeps) == MAX_ATTEMPTS - 1
    ceilings = [min(BACKOFF_CAP_SECONDS, 0.5 * 2**k) for k in range(MAX_ATTEMPTS - 1)]
    assert all(c / 2 <= s <= c for s, c in zip(sleeps, ceilings, strict=True)), sleeps
    assert repo.branch(BRANCH) == tip
    assert len(history_lines(repo)) == 1


# -- size and cost ------------------------------------------------------------------------------------


def test_50000_examples__round_trip_through_gzip(store: BaselineStore, repo: Repository) -> None:
    rng = np.random.default_rng(5)
    n = 50_000
    big = make_results(
        {"accuracy": rng.integers(0, 2, n).tolist(), "f1": rng.random(n).round(6).tolist()},
        slices={"language": rng.choice(["en", "es", "de"], n).tolist()},
        model="router",
        benchmark="tickets",
    )

    outcome = store.record(big, commit=sha(1), recorded_at=WHEN)
    loaded = store.load(store.history("router", "tickets")[0])

    same_results(loaded, big)
    stored = repo.file(outcome.entry.entry, BRANCH) or b""
    assert len(stored) < len(gzip.decompress(stored)) / 3


def test_request_budget__record_history_load_and_find(
    fake_github: FakeGitHub, store: BaselineStore, gh: Github, repo: Repository
) -> None:
    log = fake_github.log

    store.record(router(1), commit=sha(1), recorded_at=WHEN)
    first = log.operations()
    log.clear()
    store.record(router(2), commit=sha(2), recorded_at=WHEN)
    second = log.operations()
    log.clear()
    reader = BaselineStore(gh, repo.full_name)
    history = reader.history("router", "tickets")
    reading = log.operations()
    log.clear()
    reader.load(history[0])
    loading = log.operations()
    log.clear()
    reader.find_baseline("router", "tickets", base_sha=sha(2), is_ancestor=lambda a, d: False)
    finding = log.operations()

    assert first == [
        "git/get-ref",
        "git/create-blob",
        "git/create-tree",
        "git/create-commit",
        "git/create-ref",
    ]
    walk = ["git/get-ref", "git/get-tree", "git/get-tree", "git/get-tree", "git/get-tree", "git/get-blob"]
    assert second == [*walk, "git/create-blob", "git/create-tree", "git/create-commit", "git/update-ref"]
    assert reading == walk
    assert loading == ["git/get-tree", "git/get-blob"]  # the directories above are known from `history`
    assert finding == ["git/get-ref", "git/get-blob"]  # same tip: trees known; base_sha recorded: no compare
    assert all(r.method != "PATCH" or r.path.endswith(f"/git/refs/heads/{BRANCH}") for r in log)


def test_read_only_token__reads_history_and_entries(
    fake_github: FakeGitHub, store: BaselineStore, repo: Repository
) -> None:
    store.record(router(1), commit=sha(1), recorded_at=WHEN)
    fake_github.add_token("ghs_reader", READ_ONLY_PERMISSIONS)
    reader = BaselineStore(fake_github.client("ghs_reader"), repo.full_name)

    (entry,) = reader.history("router", "tickets")

    same_results(reader.load(entry), router(1))


def test_production_client__lazy_and_paced__reads_what_was_recorded(
    fake_github: FakeGitHub, store: BaselineStore, repo: Repository
) -> None:
    store.record(router(1), commit=sha(1), recorded_at=WHEN)
    fake_github.add_token("ghs_reader", READ_ONLY_PERMISSIONS)
    production = connect(fake_github.url, SecretStr("ghs_reader"))

    found = BaselineStore(production, repo.full_name).find_baseline(
        "router", "tickets", base_sha=sha(1), is_ancestor=github_is_ancestor(production, repo.full_name)
    )

    assert found is not None and found.commit == sha(1)
