"""Cluster fixtures: the embedded simulator and clients of it."""
