"""What the Action does, one module per activity; `gatebot.action` picks one from the event.

- `gate`: gate a pull request (or a fork's, into a bundle) or a ref, and publish the verdict.
- `publish`: publish a fork's bundle from a trusted `workflow_run` job.
- `record`: record the baselines of a push to the default branch.
- `command`: answer the /gatebot commands in a pull-request comment.

Shared: `context` (settings, the runner's environment, the workflow's files), `payloads` (the pure
builders of comment bodies and check payloads) and `posting` (sending them). `stages` runs an activity
as the three steps of action.yml that keep the pull request's code away from the token; `handoff` is
what those steps hand each other.
"""
