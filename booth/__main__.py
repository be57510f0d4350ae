import sys

from booth.cli.main import main

sys.exit(main())
