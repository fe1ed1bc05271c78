"""Routing and control: distribution, assignment, deadlines, extensions, answers, reminders."""
