"""The application layer: one module per use case (inventory, compliance, plan, run, rehearse,
report, delivery by hand).  Typed requests in, typed results out; no printing, no typer; errors
from the one hierarchy (fwupdate.errors).  The CLI, the demo and the tests call these."""
