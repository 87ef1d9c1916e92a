"""Rendering: a complete `Mesh` in, the text of every file out. No I/O but reading templates.

`render.bundle` uses jinja2, so only makeconf imports it; `render.record` and `render.toml`
are standard library only.
"""
