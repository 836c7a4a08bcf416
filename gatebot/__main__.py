"""`python -m gatebot` runs the command-line interface."""

from gatebot.cli import main

raise SystemExit(main())
