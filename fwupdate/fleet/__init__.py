"""The fleet file: HA pairs and standalone nodes, their endpoints and credential references."""
