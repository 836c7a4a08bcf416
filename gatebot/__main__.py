"""`python -m gatebot` runs the command-line interface."""

from gatebot.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
