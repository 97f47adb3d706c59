import multiprocessing

from fer_desktop.cli import main

# `label --jobs N` spawns processes; in the PyInstaller app each one starts as this executable.
multiprocessing.freeze_support()
raise SystemExit(main())
