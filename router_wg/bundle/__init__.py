"""The site bundle, owned here: its data (`site`), `wg.conf` (`settings`), `<interface>.conf`
(`wireguard`), the two read together and checked against each other (`load`), and their
rendering (`render`, makeconf only: it imports jinja2).

Everything but `render` is standard library only: the router's hot path reads it.
"""
