"""iDRAC clients: Redfish (and WS-Man for 12G) behind one interface."""
