"""FIFO round trips from fills: hand-checked cases, excursions on hand-made bars, conservation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ostdesk.store.roundtrips import RoundTrips, open_lots, round_trips

Row = tuple[int, str, int, float, float, float]


def _fills(*rows: Row) -> dict[str, np.ndarray]:
    """Fills from (ts, symbol, side, quantity, price, commission) rows."""
    cols = list(zip(*rows, strict=True))
    return {
        "ts": np.array(cols[0], np.int64),
        "symbol": np.array(cols[1], object),
        "side": np.array(cols[2], np.int8),
        "quantity": np.array(cols[3], float),
        "price": np.array(cols[4], float),
        "commission": np.array(cols[5], float),
    }


def test_scale_in_closes_the_oldest_lot_first() -> None:
    trips = round_trips(
        _fills((1, "A", 1, 1, 10.0, 0.1), (2, "A", 1, 2, 11.0, 0.2), (3, "A", -1, 3, 12.0, 0.3))
    )
    np.testing.assert_array_equal(trips.size, [1, 2])
    np.testing.assert_array_equal(trips.entry_price, [10, 11])
    np.testing.assert_array_equal(trips.entry_ts, [1, 2])
    np.testing.assert_array_equal(trips.exit_ts, [3, 3])
    np.testing.assert_allclose(trips.commission, [0.2, 0.4])
    np.testing.assert_allclose(trips.pnl, [1.8, 1.6])
    np.testing.assert_array_equal(trips.duration_ns, [2, 1])
    assert len(open_lots(_fills((1, "A", 1, 1, 10.0, 0.1), (3, "A", -1, 1, 12.0, 0.3)))) == 0


def test_partial_close_splits_the_lot_and_its_commission() -> None:
    fills = _fills((1, "A", 1, 4, 10.0, 0.4), (2, "A", -1, 1, 12.0, 0.1), (3, "A", -1, 2, 9.0, 0.2))
    trips = round_trips(fills)
    np.testing.assert_array_equal(trips.size, [1, 2])
    np.testing.assert_allclose(trips.commission, [0.2, 0.4])
    np.testing.assert_allclose(trips.pnl, [1.8, -2.4])
    np.testing.assert_allclose(trips.return_pct, [20 - 2, -10 - 2])
    lots = open_lots(fills)
    assert list(lots.symbol) == ["A"]
    np.testing.assert_array_equal(lots.side, [1])
    np.testing.assert_array_equal(lots.size, [1])
    np.testing.assert_array_equal(lots.entry_ts, [1])
    np.testing.assert_allclose(lots.commission, [0.1])


def test_a_fill_through_zero_closes_the_long_and_opens_a_short_with_the_rest() -> None:
    fills = _fills((1, "A", 1, 2, 10.0, 0.2), (2, "A", -1, 5, 12.0, 0.5), (3, "A", 1, 3, 11.0, 0.3))
    trips = round_trips(fills)
    np.testing.assert_array_equal(trips.side, [1, -1])
    np.testing.assert_array_equal(trips.size, [2, 3])
    np.testing.assert_array_equal(trips.entry_price, [10, 12])
    np.testing.assert_allclose(trips.commission, [0.4, 0.6])
    np.testing.assert_allclose(trips.pnl, [4 - 0.4, 3 - 0.6])
    np.testing.assert_allclose(trips.return_pct, [20 - 2, 100 * (1 / 12 - 0.6 / 36)])
    assert len(open_lots(fills)) == 0


def test_shorts_profit_when_the_price_falls() -> None:
    trips = round_trips(
        _fills((1, "A", -1, 2, 50.0, 0.0), (2, "A", 1, 1, 45.0, 0.0), (3, "A", 1, 1, 55.0, 0.0))
    )
    np.testing.assert_array_equal(trips.side, [-1, -1])
    np.testing.assert_allclose(trips.pnl, [5, -5])
    np.testing.assert_allclose(trips.return_pct, [10, -10])


def test_symbols_are_matched_separately_and_listed_in_closing_order() -> None:
    trips = round_trips(
        _fills(
            (1, "A", 1, 1, 10.0, 0.0),
            (2, "B", -1, 1, 20.0, 0.0),
            (3, "B", 1, 1, 19.0, 0.0),
            (4, "A", -1, 1, 11.0, 0.0),
        )
    )
    assert list(trips.symbol) == ["B", "A"]
    np.testing.assert_array_equal(trips.side, [-1, 1])
    np.testing.assert_allclose(trips.pnl, [1, 1])


def test_fills_are_taken_in_time_order_and_equal_times_in_given_order() -> None:
    fills = _fills((5, "A", -1, 1, 12.0, 0.0), (1, "A", 1, 1, 10.0, 0.0), (1, "A", 1, 1, 11.0, 0.0))
    trips = round_trips(fills)
    np.testing.assert_array_equal(trips.entry_price, [10])
    np.testing.assert_array_equal(open_lots(fills).entry_price, [11])


def test_fractional_quantities_close_without_dust_lots() -> None:
    fills = _fills(
        (1, "A", 1, 0.1, 10.0, 0.0),
        (2, "A", 1, 0.1, 10.0, 0.0),
        (3, "A", 1, 0.1, 10.0, 0.0),
        (4, "A", -1, 0.3, 11.0, 0.0),
        (5, "A", -1, 0.3, 11.0, 0.0),
        (6, "A", 1, 0.1, 10.0, 0.0),
        (7, "A", 1, 0.1, 10.0, 0.0),
        (8, "A", 1, 0.1, 10.0, 0.0),
    )
    assert len(round_trips(fills)) == 6
    assert len(open_lots(fills)) == 0


BARS = {
    "A": {
        "ts": np.array([0, 10, 20, 30, 40, 50], np.int64),
        "high": np.array([11.0, 12.0, 13.0, 10.5, 10.2, 30.0]),
        "low": np.array([9.0, 9.5, 8.0, 9.8, 9.9, 1.0]),
        "close": np.array([10.0, 11.0, 9.0, 10.0, 10.0, 10.0]),
    }
}


def test_excursions_span_the_entry_to_exit_bars_and_are_signed_per_side() -> None:
    fills = _fills(
        (15, "A", 1, 1, 10.0, 0.0),  # inside bar 1
        (30, "A", -1, 2, 10.0, 0.0),  # at bar 3's open: closes the long, opens a short
        (45, "A", 1, 1, 10.0, 0.0),  # inside bar 4
    )
    trips = round_trips(fills, BARS)
    np.testing.assert_array_equal(trips.entry_bar, [1, 3])
    np.testing.assert_array_equal(trips.exit_bar, [3, 4])
    np.testing.assert_array_equal(trips.duration_bars, [2, 1])
    # long, bars 1..3: high 13, low 8; short, bars 3..4: high 10.5, low 9.8
    np.testing.assert_allclose(trips.mfe_pct, [30.0, 2.0])
    np.testing.assert_allclose(trips.mae_pct, [-20.0, -5.0])


def test_without_bars_excursions_are_nan_and_bars_unknown() -> None:
    trips = round_trips(_fills((1, "A", 1, 1, 10.0, 0.0), (2, "A", -1, 1, 12.0, 0.0)))
    assert np.isnan(trips.mae_pct).all() and np.isnan(trips.mfe_pct).all()
    np.testing.assert_array_equal(trips.entry_bar, [-1])
    np.testing.assert_array_equal(trips.duration_bars, [-1])


def test_empty_round_trips_have_typed_columns() -> None:
    empty = RoundTrips.empty()
    assert len(empty) == 0
    assert empty.entry_ts.dtype == np.int64 and empty.pnl.dtype == np.float64
    assert len(round_trips(_fills((1, "A", 1, 1, 10.0, 0.0)), BARS)) == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"side": np.array([1, 0], np.int8)}, r"fills\['side'\] row 1"),
        ({"quantity": np.array([1.0, -2.0])}, r"fills\['quantity'\] row 1"),
        ({"price": np.array([np.nan, 1.0])}, r"fills\['price'\] row 0"),
        (
            {"commission": np.array([1.0])},
            r"fills\['commission'\]: expected a 1-d array",
        ),
        ({"ts": np.array([1.5, 2.0])}, r"fills\['ts'\]: expected int64"),
    ],
)
def test_bad_fills_are_refused_naming_column_and_row(
    change: dict[str, np.ndarray], message: str
) -> None:
    fills = _fills((1, "A", 1, 1, 10.0, 0.0), (2, "A", -1, 1, 12.0, 0.0)) | change
    with pytest.raises(ValueError, match=message):
        round_trips(fills)


def test_missing_columns_and_bars_are_named() -> None:
    fills = _fills((1, "A", 1, 1, 10.0, 0.0), (2, "A", -1, 1, 12.0, 0.0))
    with pytest.raises(ValueError, match=r"missing column\(s\) \['price'\]"):
        round_trips({k: v for k, v in fills.items() if k != "price"})
    with pytest.raises(ValueError, match="no bars for symbol 'A'"):
        round_trips(fills, {"B": BARS["A"]})
    with pytest.raises(ValueError, match="before the first bar"):
        round_trips(fills | {"ts": np.array([-5, 2], np.int64)}, BARS)


fill_rows = st.lists(
    st.tuples(
        st.sampled_from(["A", "B"]),
        st.sampled_from([1, -1]),
        st.integers(1, 9),
        st.integers(50, 150),
        st.integers(0, 5),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(fill_rows)
def test_matching_conserves_cash_quantity_and_commission(
    rows: list[tuple[str, int, int, int, int]],
) -> None:
    fills = _fills(*[(i, s, side, q, p, c / 10) for i, (s, side, q, p, c) in enumerate(rows)])
    trips, lots = round_trips(fills), open_lots(fills)
    total_commission = trips.commission.sum() + lots.commission.sum()
    assert total_commission == pytest.approx(fills["commission"].sum())
    for symbol in ("A", "B"):
        mine = fills["symbol"] == symbol
        net = (fills["side"][mine] * fills["quantity"][mine]).sum()
        held = lots.symbol == symbol
        assert (lots.side[held] * lots.size[held]).sum() == pytest.approx(net)
        assert len(set(lots.side[held])) <= 1  # never long and short at once
    # Cash: what the fills paid equals the round trips' P&L plus what the open lots cost.
    cash = -(fills["side"] * fills["quantity"] * fills["price"]).sum() - fills["commission"].sum()
    open_cost = (lots.side * lots.size * lots.entry_price).sum() + lots.commission.sum()
    assert trips.pnl.sum() - open_cost == pytest.approx(cash, abs=1e-6)
