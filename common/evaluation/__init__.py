"""Protocols (``splits``), metrics (``metrics``) and the resumable fold loop (``runner``)."""
