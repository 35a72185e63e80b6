"""Commands: render_cmd (filled in by its feature)."""
