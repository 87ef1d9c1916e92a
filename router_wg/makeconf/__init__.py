"""makeconf's machinery: keys, merging with the record, writing, the wizard.

Imports cryptography and jinja2; only `router_wg.commands.makeconf` loads this package.
"""
