import sys

from gan_tutorial.assignments import main

sys.exit(main())
