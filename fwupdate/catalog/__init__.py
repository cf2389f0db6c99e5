"""Dell update catalogs: streaming parser, models, filters, sources and cache."""
