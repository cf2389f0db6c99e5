"""The Redfish side of the iDRAC client: transport, requests, jobs, updates, power, media.

Called through `fwupdate.idrac.facade.IdracFacade`; see docs/transports.md."""
