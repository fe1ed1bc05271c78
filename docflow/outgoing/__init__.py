"""Outgoing notices to applicants: a journal of registered, numbered, deadline-watched notices."""
