"""Uploading finished sessions: the queue, its SQLite store, the tus client and the agent."""
