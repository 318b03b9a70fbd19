"""Email: every mail is a row (models/mail.py) that a job sends over SMTP.

outbox.py writes the rows and enqueues them once the transaction commits; queue.py puts the
send job on RQ with retries and sweeps up rows whose job was lost; sending.py talks SMTP
(smtp_url.py reads SMTP_URL); jobs.py holds the job functions the worker runs.
"""
