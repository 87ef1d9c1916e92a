import sys

from router_wg.cli import main

sys.exit(main())
