"""The pack's benchmark: `python bench/run.py`."""
