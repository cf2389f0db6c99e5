"""fwupdate: out-of-band firmware updates for Dell-based appliances."""

__version__ = "0.1.0"
