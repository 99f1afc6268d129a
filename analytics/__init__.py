"""cxqa analytics: storage, transcript import, scoring, NPS maths, reports and the scheduler.

Importing this package must stay cheap and must never import spaCy: the Rasa custom actions import
the storage layer (``analytics.storage``) and run in a process that has no use for a language model.
"""
