"""The mesh record's text (`render.record`), from a complete `Mesh`. Standard library only.

A site's bundle is rendered by `router_wg.bundle.render`, which owns the bundle's files.
"""
