"""GeoJSON of a run (``eipsim export RESULT_DIR --geojson FILE``): firms as points, realised exchanges as lines.

Firms carry their kind, sector, products and the by-products they sent and received over the run;
exchange lines carry material, quantity, unit, mode (truck or pipeline), distance and value.
When the scenario has ``park.geo_origin`` (an imported estate), coordinates are WGS84 longitude,
latitude (RFC 7946), recovered from the km positions by the inverse of the import's local
equirectangular projection (:mod:`simulator.geo`). Otherwise the file is in a local metric CRS,
metres east and north of the park's (0, 0), declared in a ``crs`` member (a foreign member in
RFC 7946 terms, read by QGIS and GDAL as an engineering CRS); such a file is not for web maps.
For an experiment the representative run (replication 0) of the first arm is mapped. Folders are
read through :mod:`simulator.result_reader`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from . import geo
from .errors import EipsimError
from .result_reader import ResultReader, read_table

LOCAL_CRS = "urn:ogc:def:crs:eipsim::local-metres"
"""Name of the local CRS (metres east, north of the park's origin) of parks without a geo origin."""


def geojson_data(folder: str | Path) -> dict:
    """The FeatureCollection of a run or experiment folder, as plain data."""
    from .loader import read_yaml_file

    run = ResultReader(ResultReader(folder).tables_folder())
    if not run.is_run or not run.has_tables():
        raise EipsimError(f"{folder} holds no run kept with its tables to map")
    chart = run.chart_data()
    resolved = run.scenario_files()[0]
    scenario = read_yaml_file(resolved)[0] if resolved.is_file() else {}
    origin = (scenario.get("park") or {}).get("geo_origin")
    firms_spec = scenario.get("firms") or {}
    meta = chart["meta"]

    def point(x_km: float, y_km: float) -> list[float]:
        if origin:
            lat, lon = geo.to_lat_lon(x_km, y_km, tuple(origin))
            return [round(lon, 7), round(lat, 7)]
        return [round(x_km * 1000, 2), round(y_km * 1000, 2)]

    links = read_table(run.path / "links.csv")
    sent: dict[str, dict] = defaultdict(dict)
    received: dict[str, dict] = defaultdict(dict)
    realised = [k for k in links if float(k["quantity"] or 0) > 0]
    for k in realised:
        quantity = float(k["quantity"])
        sent[k["supplier"]][k["material"]] = sent[k["supplier"]].get(k["material"], 0.0) + quantity
        received[k["consumer"]][k["material"]] = received[k["consumer"]].get(k["material"], 0.0) + quantity
    where = {}
    features = []
    for firm in chart["network"]["firms"]:
        spec = firms_spec.get(firm["entry"]) or {}
        where[firm["id"]] = point(firm["x_km"], firm["y_km"])
        features.append({"type": "Feature", "id": firm["id"],
                         "geometry": {"type": "Point", "coordinates": where[firm["id"]]},
                         "properties": {"feature": "firm", "id": firm["id"], "label": spec.get("label") or firm["id"],
                                        "kind": firm["kind"], "sector": spec.get("sector", ""),
                                        "product": (spec.get("product") or {}).get("material", ""),
                                        "x_km": firm["x_km"], "y_km": firm["y_km"],
                                        "input_t": firm.get("input_t"), "output_t": firm.get("output_t"),
                                        f"output_value_{meta.get('currency') or 'currency'}": firm.get("output_value"),
                                        "employees": spec.get("employees"),
                                        "byproducts_sent": sent.get(firm["id"], {}),
                                        "byproducts_received": received.get(firm["id"], {})}})
    for n, k in enumerate(realised):
        features.append({"type": "Feature", "id": f"exchange-{n}",
                         "geometry": {"type": "LineString", "coordinates": [where[k["supplier"]], where[k["consumer"]]]},
                         "properties": {"feature": "exchange", "supplier": k["supplier"], "consumer": k["consumer"],
                                        "material": k["material"], "quantity": float(k["quantity"]), "unit": k["unit"],
                                        "mode": k["mode"], "distance_km": float(k["distance_km"] or 0),
                                        f"value_{meta.get('currency') or 'currency'}": float(k["value"] or 0),
                                        "period_days": meta.get("horizon_days")}})
    collection = {"type": "FeatureCollection", "name": meta.get("scenario", "eipsim"),
                  "eipsim": {"scenario": meta.get("scenario"), "seed": meta.get("seed"),
                             "replication": meta.get("replication"), "horizon_days": meta.get("horizon_days"),
                             "quantities": "over the whole run, in each material's unit",
                             "coordinates": ("WGS84 longitude, latitude from the " + geo.describe(tuple(origin))
                                             if origin else "metres east and north of the park's (0, 0); "
                                             "no geo_origin in the scenario")},
                  "features": features}
    if not origin:
        collection["crs"] = {"type": "name", "properties": {"name": LOCAL_CRS}}
    return collection


def geojson_text(folder: str | Path) -> str:
    return json.dumps(geojson_data(folder), ensure_ascii=False, indent=1) + "\n"
