"""What a consultant or a recall asks of a Result: trace a lot or patient, period figures, masking.
May import writers and the core below them; never nightly, demo or cli.

Pure functions over the frozen Result, plus the recall list writers.
"""
