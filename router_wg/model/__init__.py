"""The mesh model: the mesh file's schema, its validation, and the mesh as plain data.

Pure and standard library only: no I/O, no cryptography, no jinja2.
"""

from router_wg.model.load import load_mesh
from router_wg.model.mesh import Link, Mesh, Settings, Site, pair_key

__all__ = ["Link", "Mesh", "Settings", "Site", "load_mesh", "pair_key"]
