"""report.xlsx writes a block of texts as it is only when no text in it needs escaping or the
formula-injection guard (writers/report_xlsx.py `_plain_texts`): the test on the block's sets
of first and last characters must say exactly what the regex rule it replaced says."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lotsync.writers import report_xlsx

#: Characters that decide the test: every dangerous first character, whitespace of several
#: kinds (line breaks inside a text among them), XML's specials, controls, `_xHHHH_` pieces.
_ALPHABET = st.sampled_from(list("aZ09 -=+@\t\r\n\0\x0b\x1d&<>_x4F\u00a0\u3000\uff1d\uff0b\uff0d\uff20"
                                 "\ufffe\uffffé") + ["_x0041_", "_x00", "V-0001", "<r>", "</r>"])
_TEXT = st.lists(_ALPHABET, max_size=8).map("".join)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.one_of(st.none(), _TEXT), max_size=12))
def test_a_blocks_plain_test_by_end_character_sets_equals_the_regex_rule(vs):
    assert report_xlsx._plain_texts(vs) == report_xlsx._plain_texts_by_regex(vs)


def test_a_blocks_plain_test_refuses_each_kind_of_text_the_slow_path_must_render():
    plain = ["V-0001", "Jane Roe", "Botox 100u"]
    assert report_xlsx._plain_texts(plain)
    for bad in ("=cmd()", "-3", "@x", "\uff1dx", " lead", "trail ", "a\u00a0", "a&b", "a<b",
                "a\x1db", "x_x0041_y", "two\n lines", "x\uffff"):
        assert not report_xlsx._plain_texts(plain + [bad]), repr(bad)
    assert not report_xlsx._plain_texts(plain + [3])
