"""``python -m toonlab`` runs the command line."""

from toonlab.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
