"""The HTTP API of Overdue (FastAPI)."""
