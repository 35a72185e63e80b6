"""Commands: story_cmd (filled in by its feature)."""
