import sys

from gan_tutorial.cli import main

sys.exit(main())
