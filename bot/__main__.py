"""`python -m bot` is the `articlebot` command."""

import sys

from bot.cli import main

sys.exit(main())
