"""python -m importer -> the ropo-import command line."""

from importer.cli import main

main()
