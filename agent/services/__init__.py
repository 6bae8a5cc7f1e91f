"""Orchestration over the ports: brief, extract, review, apply."""
