"""Background jobs: processing meetings and applying approved proposals."""
