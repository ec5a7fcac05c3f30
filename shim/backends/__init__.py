"""Persistence backends: where split documents are read from (MySQL compiled documents, or MongoDB)."""
