"""Verifying: the target re-read and compared with what the source itself states (`verifier.py`),
time entries and expenses field by field and hours per month, person and project (`entries.py`)."""
