"""Kemp LoadMaster API v1 client and HA-pair view."""
