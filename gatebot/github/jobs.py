"""The jobs of a workflow run, as the sharded workflow's watcher reads them."""

from __future__ import annotations

from github import Github, GithubException

from gatebot.github.client import call
from gatebot.progress import JobState

MAX_JOBS = 1000
"""More jobs than any one run lists (a matrix holds at most 256): stop paging there."""


def run_jobs(gh: Github, repository: str, run_id: int) -> list[JobState] | None:
    """The jobs of the latest attempt of run `run_id`; None when GitHub does not know the run (404)."""

    def listed() -> list[JobState] | None:
        try:
            jobs = gh.get_repo(repository).get_workflow_run(run_id).jobs("latest")
            found = []
            for job in jobs:
                found.append(JobState(job.name, job.status, job.conclusion))
                if len(found) >= MAX_JOBS:
                    break
            return found
        except GithubException as error:
            if error.status == 404:
                return None
            raise

    return call(f"listing the jobs of workflow run {run_id}", "actions: read", listed)
