"""A local SMTP server for development and tests that keeps what it receives, with a page to
read it: `python -m devmail` (started by `make run`). Not part of the portal.

store.py keeps the mails (in memory, and in a JSON file when asked), smtp.py receives them
with aiosmtpd, web.py shows them.
"""
