"""The WS-Man side of the iDRAC client (iDRAC7/8, LC2): SOAP, DCIM calls, waits, OSD, repository.

Called through `fwupdate.idrac.facade.IdracFacade`; see docs/transports.md and idrac-wsman notes."""
