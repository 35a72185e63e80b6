"""Commands: diff_cmd (filled in by its feature)."""
