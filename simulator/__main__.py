"""``python -m simulator`` runs the same command line as ``eipsim``."""

from .cli import main

raise SystemExit(main())
