"""Extraction engines behind one interface: the OpenAI-compatible engine and the offline `rules`."""
