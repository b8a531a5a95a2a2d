"""`python -m assistant` runs the same command as `assistant`."""

import sys

from assistant.cli import main

sys.exit(main())
