"""Temporal activities: database writes and document rendering."""
