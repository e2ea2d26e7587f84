"""The Codex patch format: parse, verify, apply all or nothing."""
