"""Dialogue policies of our own, loaded by Rasa from config.yml (run Rasa from the repository root)."""
