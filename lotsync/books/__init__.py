"""Books: the month-end journal a bookkeeper imports (pure: a Result in, entries out)."""
