"""The web page: another surface of the same engine (`ropo-import serve`).

Upload a bank export, review the plan a dry run makes against the journal, send it as a
background task of the server, download the same workbook the command line writes. Nothing
here decides a row's fate: the plan, the journal's lock and the workbook are the engine's.

* access.py   the login token, sessions and form tokens
* guard.py    the ASGI middleware every request passes: size cap, login, origin, headers, log
* targets.py  the clients the page can send for, resolved as the command line does
* runs.py     the run store: uploads, plans, sends in a thread, retention
* record.py   each run's record on disk (run.json), so the history survives a restart
* view.py     a Report as the page shows it: fates, sums, rows, problems
* pages.py    the HTML pages (plain forms, no script needed)
* api.py      the JSON API beside them
* unknown.py  resolving unknown payments from the page and the API (journal/resolving.py)
* app.py      create_app: the routes and middleware together
"""

from importer.web.app import Site, create_app

__all__ = ["Site", "create_app"]
