"""`placeholder`: junk values, fake e-mails and phone numbers; real short names survive."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks.kinds import placeholder
from auditor.checks.kinds._fastpath import matches
from auditor.checks.kinds.placeholder import _digits_only, _junk, _one_repeated_char


def test_examples(examples_hold) -> None:
    examples_hold("placeholder")


def test_junk_values(run) -> None:
    junk = [
        "test",
        "TESTING",
        " asdf ",
        "asd",
        "qwerty",
        "xxx",
        "xx",
        "x",
        "NA",
        "n/a",
        "N.A.",
        "none",
        "NULL",
        "nil",
        "unknown",
        "brak",
        "Nie wiem",
        "-",
        "--",
        "?",
        "??",
        ".",
        "0",
        "tbd",
        "dummy",
        "sample",
        "abc",
        "aaa",
        "foo",
        "bar",
        "Lorem ipsum",
        "no name",
        "NoName",
        "First Name",
        "last name",
        "Company",
        "aaaa",
        "zzz",
        "....",
        "0000000",
        "asdfgh",
        "qwertyuiop",
        "zxcvb",
        "test123",
        "test 1",
        "-/-",
    ]
    assert run("placeholder", junk) == [False] * len(junk)


def test_real_names_pass(run) -> None:
    real = [
        "Li",
        "Ng",
        "Bo",
        "Xu",
        "Al",
        "Aaron",
        "Testa",
        "Tester GmbH",
        "Anna",
        "Kowalski",
        "O'Brien",
        "Łukasz",
        "Abc Logistics",
        "Barbara",
        "Nowak-Test",
        "Foote",
        None,
    ]
    assert run("placeholder", real) == [True] * len(real)


def test_fake_emails(run) -> None:
    fake = [
        "noemail@gmail.com",
        "No-Email@wp.pl",
        "none@firma.pl",
        "test@firma.pl",
        "test1@firma.pl",
        "asdf@wp.pl",
        "no.reply@x.pl",
        "noreply@x.pl",
        "nomail@x.pl",
        "brak@x.pl",
        "xxx@x.pl",
        "jan@example.com",
        "jan@example.org",
        "jan@test.com",
        "jan@email.com",
        "jan@noemail.com",
        "a@none.com",
    ]
    real = ["jan@mail.com", "tester@firma.pl", "jan.test@wp.pl", "anna@examples.com", "contact@testa.pl"]
    assert run("placeholder", fake) == [False] * len(fake)
    assert run("placeholder", real) == [True] * len(real)


def test_fake_phones(run) -> None:
    fake = [
        "000-000-0000",
        "1111111",
        "0123456789",
        "123456789",
        "+48 1234567",
        "+48 111 111 111",
        "600 600 600",
        "987-654-321",
    ]
    real = ["+48 602 345 178", "22 628 31 40", "(212) 555-1212", "030 2947 5618", "123", "12-34"]
    assert run("placeholder", fake) == [False] * len(fake)
    assert run("placeholder", real) == [True] * len(real)


def test_lists_are_parameters(run) -> None:
    params = {
        "values": ["firma"],
        "patterns": ["klient[0-9]+"],
        "email_local_parts": ["info"],
        "email_domains": ["fake.pl"],
        "phone_min_distinct_digits": 2,
    }
    values = ["Firma", "klient7", "info@wp.pl", "a@fake.pl", "test", "600 600 600", "111 111 111"]
    assert run("placeholder", values, params) == [False, False, False, False, True, True, False]


def test_no_suggestion(suggest) -> None:
    assert suggest("placeholder", ["test", "n/a"]) == [None, None]


@settings(max_examples=150, deadline=None)
@given(values=st.lists(st.text(alphabet="0123456789 ()./-+", min_size=1, max_size=20), max_size=30))
def test_the_digits_of_phone_like_values_are_those_a_regex_keeps(values: list[str]) -> None:
    text = pa.array(["x", *values], type=pa.large_string()).slice(1)  # an offset, as a taken slice has
    assert _digits_only(text).to_pylist() == pc.replace_substring_regex(text, "[^0-9]", "").to_pylist()


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.text(alphabet="ab.ł€\U0001f600", max_size=5),
            st.builds(lambda c, k: c * k, st.sampled_from("a.łß€\U0001f600"), st.integers(0, 5)),
        ),
        max_size=20,
    ),
    st.booleans(),
    st.integers(0, 2),
)
def test_oracle_one_repeated_character_is_each_value_its_first_character_repeated(
    values: list[str | None], large: bool, start: int
) -> None:
    text = pa.array(["aaa", "ab", *values], type=pa.large_string() if large else pa.string()).slice(start)
    want = [v is not None and len(v) >= 3 and v == v[0] * len(v) for v in text.to_pylist()]
    assert _one_repeated_char(text).tolist() == want


def test_only_values_that_may_repeat_one_character_are_repeated(monkeypatch: pytest.MonkeyPatch) -> None:
    repeated: list[int] = []
    repeat = pc.binary_repeat
    monkeypatch.setattr(pc, "binary_repeat", lambda text, n: repeated.append(len(text)) or repeat(text, n))
    text = pa.array([f"+48 601 {i:03d} 295" for i in range(100)] + ["aaaa", "ab", "łłł", "ax"])
    assert _one_repeated_char(text).tolist() == [False] * 100 + [True, False, True, False]
    assert repeated == [2]  # "aaaa" and "łłł"


def test_a_column_without_an_at_sign_is_not_searched_for_fake_e_mails(monkeypatch: pytest.MonkeyPatch) -> None:
    searched: list[str] = []
    monkeypatch.setattr(placeholder, "matches", lambda arr, pattern: searched.append(pattern) or matches(arr, pattern))
    text = pa.array(["Jan", "Anna", "test@example.com"])
    assert _junk(text.slice(0, 2), {}).tolist() == [False, False]
    assert not any("@" in pattern for pattern in searched)
    assert _junk(text, {}).tolist() == [False, False, True]
