"""Observability around the night: JSON Lines logging, Prometheus metrics, webhooks and hooks.

The executor reports a few lifecycle events (run started, group starting, node starting, step
started/finished, group finished, window reached, run finished) to one `Observer`; the sinks
here turn them into log events, a metrics file, webhook POSTs and hook commands
(docs/observability.md).  Nothing here imports `run` or `cli`.
"""
