"""Transcript cells, the composer and the status bar: one widget per module."""
