"""The kernel every domain uses: workflow, calendar, audit, storage, numbering, security.

Nothing in here imports a domain package (``docflow.org``, ``docflow.registry`` ...).
"""
