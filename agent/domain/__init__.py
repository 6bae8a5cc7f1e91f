"""The pure core: models, ports and rules. Nothing here performs I/O."""
