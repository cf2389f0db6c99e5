"""Reports: inventory, compliance and what a run did."""
