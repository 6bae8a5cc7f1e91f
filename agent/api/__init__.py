"""The HTTP side: JSON API under /api/v1, the review UI, health."""
