"""What the pages compose from the engine's words: the endpoint's kind in the reader's
language, and a plan's balance in the fates its table shows."""

from __future__ import annotations

from pathlib import Path

from importer.i18n import words
from importer.web.wording import environment
from tests.webpage import Browser, site


def test_the_endpoint_reads_in_the_language_and_keeps_its_address() -> None:
    fi, sv = words("fi"), words("sv")
    local = "a sandbox on this machine (http://127.0.0.1:8080/rest)"
    assert environment(local, fi) == "testipalvelu tällä koneella (http://127.0.0.1:8080/rest)"
    assert environment(local, sv) == "testtjänst på den här datorn (http://127.0.0.1:8080/rest)"
    prod = "fi-prod (https://ropo24.fi/rest)"
    assert environment(prod, fi) == prod


def test_the_finnish_review_balances_in_its_fates(tmp_path: Path) -> None:
    browser = Browser(site(tmp_path, demo=True))
    run = browser.post("/runs", {"demo": "1"}).headers["location"]
    page = browser.get(f"{run}?lang=fi").text
    assert (
        "luetut rivit 15 = lähetettävät 11 + virheellinen 2 + kaksoiskappale 0 + jo kirjattu 0 "
        "+ tuntematon aiemmasta ajosta 0 + ei lähetettävä maksu 2 (täsmää)"
    ) in page
    assert "ohitettu 13" not in page
