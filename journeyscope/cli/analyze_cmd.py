"""Commands: analyze_cmd (filled in by its feature)."""
