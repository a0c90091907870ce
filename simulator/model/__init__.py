"""The SimPy park model: firms, storage, exchange market, logistics, discovery and events."""
