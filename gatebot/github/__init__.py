"""The only code that talks to GitHub: the client, changed files, the sticky comment, checks, git data."""
