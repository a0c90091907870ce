"""From an estate's tenant list (CSV or Excel) to a documented scenario (``eipsim import``).

* :mod:`.library`: the archetype library (industries keyed by KBLI 2020, coefficients with their
  source or an illustrative range), read through :mod:`simulator.loader`;
* :mod:`.table`: reading the tenant table (CSV or .xlsx), with row- and column-specific problems;
* :mod:`.columns`: recognising English and Indonesian headers, ``--columns`` mappings, cell values;
* :mod:`.build`: tenants -> firms scaled from archetypes -> commented scenario YAML text.
"""
