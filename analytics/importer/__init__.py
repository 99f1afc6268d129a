"""Transcript import from helpdesk exports: JSON Lines (one conversation a line) and CSV (one turn a row)."""
