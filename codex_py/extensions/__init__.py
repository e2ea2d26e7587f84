"""User-facing extras outside the turn loop: the ``notify`` program and terminal desktop notifications."""

from __future__ import annotations
