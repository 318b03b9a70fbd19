"""Two-way Google Calendar sync: one package per concern, named for where to look.

The map
-------
api/       Google's HTTP APIs, nothing of the portal: the Calendar v3 client (client.py), a
           call as data, the same alone or in a batch (calls.py, batch.py), Google's errors
           (errors.py), and the token endpoint outside a sign-in: refresh, revoke
           (token_endpoint.py).
sync/      The sync engine, plain functions that flush: portal ⇄ Google fields (mapping.py),
           event links (links.py), the outbox written with each change (outbox.py), the push
           with one plan per event, batched or alone (push.py), the pull and its per-pull
           scope (pull.py, pull_scope.py), Google's version applied (reconcile.py) and
           conflicts settled (conflicts.py), the activity log (activity.py), one sync per
           connection at a time (lock.py).
realtime/  Google's push notifications: the webhook in front of Flask (webhook.py) and its
           address (address.py), each notification judged (notifications.py) against the
           channels it remembers (directory.py), what was heard, in Redis (heard.py), and
           the channels' lifecycle: open, renew, stop, replace when silent (channels.py).
account/   The coordinator's Google account: sign-in (oauth.py), connecting and choosing a
           calendar (connection.py), encrypted tokens (crypto.py, tokens.py), the clients
           and the shared per-user quota (clients.py), disconnecting (disconnect.py), and
           “Check my connection” (diagnostics.py).
worker/    The background: what is enqueued, at most one waiting per connection and kind
           (enqueue.py, coalescer.py), the connections notifications marked for a pull
           (dirty.py), the jobs (jobs.py; drain.py pulls many marked ones in one job), and
           the clock (clock.py).
commands.py   `flask google …` for operators.
intervals.py  How often the clock runs what, in seconds and in the words coordinators read.

The pages live with their pages: the Google card's routes in portal/integrations/
(google_routes.py, routes.py, card.py), the help panel's check in portal/core/routes.py.

The rules (import-linter contracts in pyproject.toml, run by `make test`)
-------------------------------------------------------------------------
- api imports nothing from the portal (nor Flask, SQLAlchemy, Redis or RQ).
- sync imports no Flask, RQ or Redis, and nothing of worker, realtime or account.
- realtime reaches the worker only through worker/enqueue.py.
- only worker (and portal/core/queue.py, the app's queue connection) imports RQ.
- google never imports portal.calendar or portal.integrations; they import google.
- the portal never imports google_emulator.
- only route modules read flask.request (tests/core/test_request_use.py).

Two walks
---------
A Google notification becomes a changed portal event (11 modules, in order):
  realtime/webhook.py → realtime/notifications.py → realtime/directory.py →
  realtime/heard.py → worker/enqueue.py (its claims from coalescer.py, dirty.py) ⇢ the
  queue ⇢ worker/drain.py → worker/jobs.py (sync/lock.py, account/clients.py) →
  sync/pull.py (api/client.py) →
  sync/pull_scope.py → sync/reconcile.py → sync/conflicts.py (sync/mapping.py, links.py).
A portal edit reaches Google (10 modules, in order):
  calendar/routes.py → calendar/operations.py → sync/outbox.py → worker/enqueue.py (the
  commit's hook; coalescer.py) ⇢ the queue ⇢ worker/jobs.py (sync/lock.py,
  account/clients.py) → sync/push.py → sync/mapping.py → api/client.py (calls.py,
  batch.py) → sync/links.py → sync/activity.py.
In brackets: helpers a step calls that call nothing back. docs/architecture.md places the
package in the whole portal.
"""
