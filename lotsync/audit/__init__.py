"""What a consultant or a recall asks of a Result: trace a lot or patient, period figures,
patient masking. Pure functions over the frozen Result, plus the recall list writers.

May import the core (model, reconcile, tables.values, writers.safe); never nightly or cli.
"""
