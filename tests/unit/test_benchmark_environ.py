"""What a benchmark inherits of gatebot's environment: no credential, no file command of the runner."""

from __future__ import annotations

from gatebot.runner import benchmark_environ


def test_tokens_and_file_commands__removed__the_rest_kept() -> None:
    environ = {
        "GATEBOT_TOKEN": "ghs_x",
        "GITHUB_TOKEN": "ghs_y",
        "HF_TOKEN": "hf_z",
        "gh_token": "lower",
        "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.example",
        "ACTIONS_RUNTIME_TOKEN": "r",
        # The action's `secrets` input: every benchmark's secrets, which each gets only its own of.
        "GATEBOT_SECRETS": "JUDGE_KEY=sk-1\nOTHER_KEY=sk-2",
        "INPUT_SECRETS": "JUDGE_KEY=sk-1",
        "GITHUB_ENV": "/runner/_temp/set_env",
        "GITHUB_PATH": "/runner/_temp/add_path",
        "GITHUB_OUTPUT": "/runner/_temp/set_output",
        "GITHUB_STATE": "/runner/_temp/save_state",
        "GITHUB_STEP_SUMMARY": "/runner/_temp/step_summary",
        "TOKENIZERS_PARALLELISM": "false",
        "HOME": "/home/runner",
        "GITHUB_REPOSITORY": "o/r",
    }
    assert benchmark_environ(environ) == {
        "TOKENIZERS_PARALLELISM": "false",
        "HOME": "/home/runner",
        "GITHUB_REPOSITORY": "o/r",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
