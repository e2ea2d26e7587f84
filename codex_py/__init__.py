"""codex-py: a terminal coding agent for every major model provider."""

__version__ = "0.1.0"
