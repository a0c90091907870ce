"""Charts of eipsim results. Every function takes data (and ``ax=None``) and returns a Figure;
none shows a window or writes a file (saving is :mod:`simulator.storage`'s job)."""
