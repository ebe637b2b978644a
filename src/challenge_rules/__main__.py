"""``python -m challenge_rules``: the ``challenge-rules`` command."""

import sys

from challenge_rules.cli import main

if __name__ == "__main__":
    sys.exit(main())
