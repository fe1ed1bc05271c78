"""Office-work inspections (R-AUDIT-1): the automatic checks of ``inspection.md`` over native and
imported cases (:mod:`docflow.inspection.checks`), and the inspector's work on their findings."""
