"""Convergence: one room per thing router-wg owns on a router.

Each resource (`resources/`) knows, for its own objects only, what the bundle wants, what is
there now, and the difference as actions that can be done and undone. The planner loops over
the resources in a fixed order; the applier carries a plan out; `service` is the one entry
that `start`, `stop`, `plan` and the watchdog share. Nothing else changes the kernel.
"""
