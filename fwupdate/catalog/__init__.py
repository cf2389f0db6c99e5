"""Dell update catalogs: streaming parser, models, filters, sources and cache.

Other packages use:

* `load_catalog(source, system_id=..., cache_dir=..., ca_bundle=...) -> Catalog`
* `find_component_by_filename(catalog, name)`, `select_components(...)`, `match_bundle(...)`
* `compare_versions(a, b)`, `is_newer(a, b)` for Dell version strings
* `system_id_for_model("R320") -> "04F7"`
* `parse_component_xml(data)` (parser.py) for a DUP's own package.xml

The bundle policy file (catalogs/r320-loadmaster.toml) is read by fwupdate.plan.policy.
"""

from fwupdate.catalog.filters import (
    BundleMatch,
    bundles_for_system,
    filter_catalog,
    find_component_by_filename,
    match_bundle,
    select_components,
)
from fwupdate.catalog.loader import load_catalog
from fwupdate.catalog.systems import (
    KNOWN_MODELS,
    model_for_system_id,
    normalize_system_id,
    system_id_for_model,
)
from fwupdate.catalog.versions import compare_versions, is_newer

__all__ = [
    "KNOWN_MODELS",
    "BundleMatch",
    "bundles_for_system",
    "compare_versions",
    "filter_catalog",
    "find_component_by_filename",
    "is_newer",
    "load_catalog",
    "match_bundle",
    "model_for_system_id",
    "normalize_system_id",
    "select_components",
    "system_id_for_model",
]
