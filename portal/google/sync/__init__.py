"""The sync engine: portal events to Google and back, in plain functions that flush."""
