"""Imports every view module of the protocols package (each adds routes to the blueprints)."""

import importlib

for _name in ("reception_views", "schedule_views", "flow_views", "signup_rules_views"):
    try:
        importlib.import_module(f"docflow.protocols.{_name}")
    except ModuleNotFoundError as exc:  # a module not written yet
        if exc.name != f"docflow.protocols.{_name}":
            raise
