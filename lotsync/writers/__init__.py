"""Renderers of the one frozen `Result`: JSON, CSV, terminal (and more). The only other I/O."""
