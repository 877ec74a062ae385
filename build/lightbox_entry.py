"""Entry point of the bundled Lightbox (PyInstaller runs this file as __main__)."""
import multiprocessing
import sys

from lightbox.app.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
