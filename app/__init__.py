"""Rehabkart: the shared map of rehabilitation services, pathways and gaps."""
