"""Latitude/longitude <-> km east/north of an origin: a local equirectangular projection.

An estate spans a few km, so the earth is treated as flat around the origin (lat0, lon0):
``x = R * (lon - lon0) * cos(lat0)``, ``y = R * (lat - lat0)`` (angles in radians, R the mean
earth radius). Within 10 km of the origin near the equator the distances differ from geodesic
ones by far less than a metre per km (the error grows with the square of the distance and with
latitude); for regions hundreds of km wide use a proper projected CRS instead.
"""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0088
"""Mean earth radius (IUGG, Moritz 2000, Geodetic Reference System 1980), km."""


def to_km(lat: float, lon: float, origin: tuple[float, float]) -> tuple[float, float]:
    """(km east, km north) of ``origin`` = (lat0, lon0) for a point at ``lat``, ``lon`` (degrees)."""
    lat0, lon0 = origin
    x = EARTH_RADIUS_KM * math.radians(lon - lon0) * math.cos(math.radians(lat0))
    y = EARTH_RADIUS_KM * math.radians(lat - lat0)
    return x, y


def to_lat_lon(x_km: float, y_km: float, origin: tuple[float, float]) -> tuple[float, float]:
    """Inverse of :func:`to_km`: (lat, lon) in degrees of a point ``x_km`` east, ``y_km`` north."""
    lat0, lon0 = origin
    lat = lat0 + math.degrees(y_km / EARTH_RADIUS_KM)
    lon = lon0 + math.degrees(x_km / (EARTH_RADIUS_KM * math.cos(math.radians(lat0))))
    return lat, lon


def describe(origin: tuple[float, float]) -> str:
    """The projection in words, for file headers and chart footers."""
    lat0, lon0 = origin
    return (f"local equirectangular projection around {abs(lat0):.5f}°{'S' if lat0 < 0 else 'N'} "
            f"{abs(lon0):.5f}°{'W' if lon0 < 0 else 'E'} (km east, km north)")
