"""Case exchange (JSON Lines, e-Otinish's shape): whole cases in and out of docflow.

The format: ``../shared/formats/case-exchange.md``. ``importer`` reads a file (all or nothing,
idempotent by ``reg_number``), ``exporter`` writes one; imported cases are read-only records.
"""
