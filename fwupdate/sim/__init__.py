"""Simulated iDRACs and LoadMasters over real HTTPS. Never imports the clients."""
