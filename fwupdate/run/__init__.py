"""The executor: runs a plan against the fleet with a durable journal."""
