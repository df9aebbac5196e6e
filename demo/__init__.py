"""Demonstration companions of the gateway: a department's live source (licensing_source)."""
