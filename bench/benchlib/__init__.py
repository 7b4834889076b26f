"""The pieces of bench/run.py: process sampling, the servers under test, load generators, the measuring steps, the
budgets and the report (markdown and SVG). Standard library only."""
