"""Convergence: desired state from the bundle, observed state of our objects, a pure
planner turning the difference into actions, and one applier that carries them out.

start, stop and the watchdog share these layers; nothing else changes the kernel.
"""
