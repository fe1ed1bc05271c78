"""Analytics of appeals: dashboards, content analysis, the problem map, periodic reports."""
