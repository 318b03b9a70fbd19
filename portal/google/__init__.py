"""The Google Calendar integration: api/ (the HTTP client), sync/ (the engine), realtime/
(webhook and channels), account/ (OAuth, tokens, disconnect, diagnostics), worker/ (jobs,
enqueueing, the clock). docs/architecture.md maps them."""
