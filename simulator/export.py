"""Text layouts of tables for other tools (no file writing here: see :mod:`simulator.storage`).

* ``io_table.csv``: the local input-output table in one block (rows: supplying sectors and the
  value-added rows; columns: purchasing sectors, final demand, output, employment), indexed by
  (region, sector) like pymrio's tables;
* ``io/``: the same table as a pymrio folder (``pymrio.load_all(path)`` returns an IOSystem with
  Z, Y, x and a ``factor_inputs`` extension holding local household income, imports, value
  added and employment).
"""

from __future__ import annotations

import json

import numpy as np

from .metrics.local_economy import IOTable

def _regions(table: IOTable) -> list[str]:
    return ["park"] * table.n_park + ["region"] * (len(table.sectors) - table.n_park)


def _num(value: float) -> str:
    return format(float(value), ".12g")


def io_table_csv(table: IOTable) -> str:
    """The IO table as one CSV block (money in the scenario currency, employment in jobs)."""
    regions = _regions(table)
    header = ["region", "sector", *table.sectors, "final_demand", "output"]
    lines = [",".join(_quote(h) for h in header)]
    for i, sector in enumerate(table.sectors):
        cells = [regions[i], sector, *map(_num, table.Z[i]), _num(table.final_demand[i]), _num(table.output[i])]
        lines.append(",".join(_quote(c) for c in cells))
    for name, row in (("household_income", table.household_income), ("imports", table.imports),
                      ("other_value_added", table.value_added - table.household_income),
                      ("total_input", table.output), ("employment_jobs", table.employment)):
        lines.append(",".join(_quote(c) for c in ["", name, *map(_num, row), "", ""]))
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    text = str(text)
    return f'"{text}"' if any(c in text for c in ',"\n') else text


def pymrio_files(table: IOTable, currency: str) -> dict[str, str]:
    """File name -> text of a folder that ``pymrio.load_all`` reads as an IOSystem."""
    regions, sectors = _regions(table), list(table.sectors)
    n = len(sectors)

    def matrix(rows: np.ndarray, row_labels: list[tuple[str, ...]], cols: list[tuple[str, str]],
               index_names: list[str], col_names: tuple[str, str]) -> str:
        pad = [""] * (len(index_names) - 1)
        lines = ["\t".join([col_names[0], *pad, *(c[0] for c in cols)]),
                 "\t".join([col_names[1], *pad, *(c[1] for c in cols)]),
                 "\t".join([*index_names, *([""] * len(cols))])]
        for label, row in zip(row_labels, rows):
            lines.append("\t".join([*label, *map(_num, row)]))
        return "\n".join(lines) + "\n"

    keys = list(zip(regions, sectors))
    files = {
        "Z.txt": matrix(table.Z, keys, keys, ["region", "sector"], ("region", "sector")),
        "Y.txt": matrix(table.final_demand[:, None], keys, [("park", "final_demand")], ["region", "sector"],
                        ("region", "category")),
        "x.txt": "region\tsector\tindout\n" + "".join(
            f"{r}\t{s}\t{_num(v)}\n" for (r, s), v in zip(keys, table.output)),
        "unit.txt": "region\tsector\tunit\n" + "".join(f"{r}\t{s}\t{currency}\n" for r, s in keys),
        "metadata.json": json.dumps({"description": "Local input-output table of an eipsim run",
                                     "name": "eipsim", "system": None, "version": None, "history": []},
                                    indent=4),
        "file_parameters.json": json.dumps({"files": {
            "Z": {"name": "Z.txt", "nr_index_col": "2", "nr_header": "2"},
            "Y": {"name": "Y.txt", "nr_index_col": "2", "nr_header": "2"},
            "x": {"name": "x.txt", "nr_index_col": "2", "nr_header": "1"},
            "unit": {"name": "unit.txt", "nr_index_col": "2", "nr_header": "1"}}, "systemtype": "IOSystem"},
            indent=4),
    }
    factors = [("household_income", currency, table.household_income), ("imports", currency, table.imports),
               ("value_added", currency, table.value_added), ("employment", "jobs", table.employment)]
    files["factor_inputs/F.txt"] = matrix(np.array([f[2] for f in factors]).reshape(len(factors), n),
                                          [(f[0],) for f in factors], keys, ["stressor"], ("region", "sector"))
    files["factor_inputs/unit.txt"] = "stressor\tunit\n" + "".join(f"{f[0]}\t{f[1]}\n" for f in factors)
    files["factor_inputs/file_parameters.json"] = json.dumps({"files": {
        "F": {"name": "F.txt", "nr_index_col": "1", "nr_header": "2"},
        "unit": {"name": "unit.txt", "nr_index_col": "1", "nr_header": "1"}},
        "systemtype": "Extension", "name": "factor_inputs"}, indent=4)
    return files
