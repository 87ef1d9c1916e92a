"""The watchdog: probes through the tunnel, health with hysteresis, withdrawn peers.

Everything here is standard library only: a quiet cron tick must stay cheap on a router.
"""
