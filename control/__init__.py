"""Client-side control of case workflows, shared by the API and the CLI."""
