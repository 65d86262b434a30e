import sys

from pasi_core.app.cli import main

sys.exit(main())
