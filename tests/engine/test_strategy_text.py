"""A strategy's description as a person reads it, in the CLI and the window alike."""

from __future__ import annotations

from ostdesk.engine.strategy_text import first_sentence, without_markup


def test_the_first_sentence_of_a_docstring_is_whole_and_without_markup() -> None:
    doc = """Rotate: every ``rebalance`` bars (e.g. 60), hold the :class:`Strategy`'s
    `best` symbol. Then more.

    Details."""
    assert (
        first_sentence(doc)
        == "Rotate: every rebalance bars (e.g. 60), hold the Strategy's best symbol."
    )


def test_markup_is_read_as_its_words_and_plain_text_is_left_alone() -> None:
    assert without_markup("every ``rebalance`` bars, :func:`SMA` of `close`") == (
        "every rebalance bars, SMA of close"
    )
    assert without_markup("buy at 1.5 (stop 1.4).\nThen sell.") == (
        "buy at 1.5 (stop 1.4).\nThen sell."
    )
