"""The registry of incoming items: registration, receipt slips, labels and scan splitting."""
