"""An e-mail's local part and domain are the parts it is joined from, and whether its local part is made of the
record's names is decided once per distinct pair of names: oracles against the regular expressions over every
value and the eight texts per record written before."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from oracle_examples import examples

from auditor.dedupe import normalize as nz
from auditor.dedupe.features import _named_local_parts

_TEXT = st.one_of(
    st.none(),
    st.text(alphabet="aB.+@\n \t-_ółx", max_size=12),
    st.sampled_from(["j.kowalski+crm@GoogleMail.com", "mailto:A@b.pl", "x\ny@z.com", "a@b\nc@d.com", "@", "a@."]),
)


@examples(300)
@given(st.lists(_TEXT, max_size=25))
def test_parts_oracle_the_regular_expressions_over_the_joined_text(values: list[str | None]) -> None:
    series = pd.Series(values, dtype=object)
    joined, local, domain = nz.email_parts(series)
    pd.testing.assert_series_equal(joined, nz.email_texts(series))
    pd.testing.assert_series_equal(local, nz.local_parts(joined))
    pd.testing.assert_series_equal(domain, nz.domain_parts(joined))


def _named_record_by_record(local: pd.Series, first: pd.Series, last: pd.Series) -> pd.Series:
    """The definition: each record's eight forms of its names written and compared with its local part."""

    def letters(values: pd.Series) -> pd.Series:
        return nz.strings(values).str.replace(r"[^a-z]", "", regex=True)

    local = nz.strings(local)
    accented = local.str.contains(r"[^\x00-\x7f]", regex=True).fillna(False).astype(bool)
    if accented.any():
        local = local.mask(accented, nz.strings(nz.by_unique(local[accented], nz.fold)))
    loc, f, la = letters(local), letters(first), letters(last)
    fi, li = f.str.slice(0, 1), la.str.slice(0, 1)
    named = pd.Series(False, index=local.index)
    for form in (f + la, la + f, fi + la, la + fi, f + li, li + f, f, la):
        named |= (loc == form).fillna(False).astype(bool)
    return named & (loc.str.len() > 0).fillna(False).astype(bool)


_NAME = st.one_of(st.none(), st.sampled_from(["jan", "anna maria", "o-brien", "", "1", "łukasz", "j"]))
_LOCAL = st.one_of(
    st.none(),
    st.sampled_from(["jan.kowalski", "kowalskij", "jkowalski2", "annamaria", "j", "", "łukaszj", "x9", "brieno"]),
    st.text(alphabet="jankowski.ł1", max_size=8),
)


@examples(300)
@given(st.lists(st.tuples(_LOCAL, _NAME, st.sampled_from(["kowalski", "o brien", "", None, "lis"])), max_size=25))
def test_named_local_parts_oracle_record_by_record(rows: list[tuple[str | None, str | None, str | None]]) -> None:
    local, first, last = (nz.strings(pd.Series([r[k] for r in rows], dtype=object)) for k in range(3))
    got = _named_local_parts(local, first, last)
    pd.testing.assert_series_equal(got, _named_record_by_record(local, first, last))
