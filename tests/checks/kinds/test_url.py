"""`url`: websites and bare domains."""

from __future__ import annotations


def test_examples(examples_hold) -> None:
    examples_hold("url")


def test_websites_pass(run) -> None:
    ok = [
        "acme.com",
        "www.acme.com",
        "https://acme.pl/",
        "http://sub.acme.co.uk/path",
        "WWW.ACME.COM",
        " acme.com ",
        "https://acme.com:8443/x?y=1#z",
        "żółw.pl",
        "xn--w-uga1v.pl",
        "acme-corp.com.pl",
        None,
    ]
    assert run("url", ok) == [True] * len(ok)


def test_non_websites_fail(run) -> None:
    bad = [
        "acme",
        "http://",
        "www.",
        "acme .com",
        "htp://acme.com",
        "acme@com",
        "localhost",
        "www.acme",
        "-acme.com",
        "acme-.com",
        "acme..com",
        "acme.c",
        "acme.123",
        "192.168.0.1",
        "ftp://acme.com",
        "https://acme.com/a b",
        "jan@acme.com",
        "",
    ]
    assert run("url", bad) == [False] * len(bad)


def test_suggestions(suggest) -> None:
    got = suggest("url", ["acme,com", "htp://Acme.com/Shop", "https//acme.pl", "acme. com", "WWW.ACME.COM.", "acme"])
    assert got == [
        "https://acme.com",
        "https://acme.com/Shop",
        "https://acme.pl",
        "https://acme.com",
        "https://www.acme.com",
        None,
    ]
