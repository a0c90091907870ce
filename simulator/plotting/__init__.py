"""Charts of eipsim results. Every function takes data (and ``ax=None``) and returns a Figure;
none shows a window or writes a file (saving is :mod:`simulator.storage`'s job)."""


def run_figures(result, replications: int = 1) -> dict:
    """The standard figures of a single run, by file name."""
    from .fate import plot_material_fate
    from .network import plot_network

    return {
        "material_fate": plot_material_fate(result, replications=replications),
        "network": plot_network(result, replications=replications),
    }
