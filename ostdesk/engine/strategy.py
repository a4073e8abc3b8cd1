"""The strategy API: what a trader subclasses.

A :class:`Strategy` is plain Python: parameters are declared on the class, indicators are
registered in :meth:`setup`, decisions are made in :meth:`on_bar`. The engine attaches it to a
:class:`~ostdesk.engine.strategy_host.StrategyHost`, which runs it on its own thread, keeps one
copy of every indicator and price history per symbol, and turns ``buy``/``sell`` into requests
on the bus. Inside ``on_bar``, ``self.fast_ma[-1]``, ``self.close[-2]`` and ``self.position``
refer to the symbol of the bar being handled (``bar.symbol``). ``docs/strategy-api.md`` is
the author's guide to all of it (a test keeps it naming every public member).

Orders are checked, never trusted: whatever ``buy``/``sell``/``modify``/``cancel`` are given,
the run goes on and the broker answers through :meth:`Strategy.on_order` (an ``OrderRejected``
or ``ModificationRejected`` with a reason and a sentence such as "order 7: quantity 'abc' is not
a number"). A quantity must be a real number, finite and > 0 (``bool`` is not a number); a price
finite and > 0 when given; ``tif`` a :class:`TimeInForce` or its name in any case (``"DAY"``);
``expire_ns`` an integer time in ns (numpy integers too), required for GTD. Without a leverage
limit an order may still not add more than 1,000 times the account's equity of exposure
(``ostdesk.engine.broker.SIZE_BOUND_EQUITY``) nor be for more than 2**53 units.
"""

from __future__ import annotations

import inspect
import math
import numbers
from array import array
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ostdesk.engine.events import (
    BarReceived,
    EventBase,
    FillEvent,
    TimeInForce,
)
from ostdesk.engine.indicators import Indicator
from ostdesk.engine.params import Param, ParamError
from ostdesk.engine.portfolio import Position

if TYPE_CHECKING:
    from ostdesk.engine.strategy_host import StrategyHost
    from ostdesk.engine.strategy_state import OrderState

IndicatorT = TypeVar("IndicatorT", bound=Indicator)


class SeriesHandle:
    """History of one price field of the current symbol: ``self.close[-1]`` is the latest."""

    __slots__ = ("_field", "_host")

    def __init__(self, host: StrategyHost, field: str) -> None:
        self._host = host
        self._field = field

    def __getitem__(self, index: int) -> float:
        values: array[float] = getattr(self._host.current, self._field)
        try:
            return values[index]
        except IndexError:
            return math.nan

    def __len__(self) -> int:
        return len(getattr(self._host.current, self._field))

    def of(self, symbol: str) -> array[float]:
        """The whole history of another symbol (an ``array('d')``; index it as a list)."""
        values: array[float] = getattr(self._host.state(symbol), self._field)
        return values


class CloseSeries(SeriesHandle):
    """``self.close[-1]`` is the latest close, like ``self.open``. It was once also callable
    to flatten a position; a call now says what replaced it, so old strategy code learns the
    new name instead of failing with a bare "not callable"."""

    __slots__ = ()

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(
            "self.close is the close-price series (self.close[-1] is the latest close); "
            "to close a position call self.close_position() or self.close_position(symbol)"
        )


def _require_positive(name: str, value: object) -> None:
    """A sizing input is checked where strategy code passes it, with a sentence naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"size_for: {name} must be a number, got {value!r}")
    if not (math.isfinite(value) and float(value) > 0):
        raise ValueError(f"size_for: {name} must be a finite number above 0, got {value}")


class IndicatorHandle:
    """One declared indicator; indexing reads the current symbol's copy."""

    __slots__ = ("_host", "_index", "_mains", "prototype")

    def __init__(self, host: StrategyHost, index: int, prototype: Indicator) -> None:
        self._host = host
        self._index = index
        self._mains = host.current_mains
        self.prototype = prototype

    def __getitem__(self, index: int) -> float:
        # the main line itself, not through Indicator.__getitem__, from the host's list of the
        # current symbol's main lines: one Python call and two attribute reads fewer on the
        # hottest read of a strategy (several a bar)
        try:
            return self._mains[self._index][index]
        except IndexError:
            return math.nan

    def __len__(self) -> int:
        return len(self._host.current.indicators[self._index])

    @property
    def value(self) -> float:
        return self._host.current.indicators[self._index].value

    def line(self, name: str) -> list[float]:
        return list(self._host.current.indicators[self._index].line(name))

    def of(self, symbol: str) -> Indicator:
        """The copy that follows another symbol."""
        return self._host.state(symbol).indicators[self._index]


class Strategy:
    """Base class of all strategies. Override :meth:`setup` and :meth:`on_bar`.

    Construct with parameter values: ``SmaCross(fast=5)``; unknown names and out-of-range
    values raise :class:`~ostdesk.engine.params.ParamError`. Override :meth:`validate` to
    declare constraints between parameters (raise ``ParamError(field, message)``).
    """

    params: ClassVar[dict[str, Param[Any]]] = {}
    name: ClassVar[str] = "Strategy"
    description: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared: dict[str, Param[Any]] = {}
        for klass in reversed(cls.__mro__):
            for key, value in vars(klass).items():
                if isinstance(value, Param):
                    declared[key] = value
        cls.params = declared
        if "name" not in vars(cls):
            cls.name = cls.__name__
        doc = inspect.getdoc(cls) if cls.__doc__ else ""
        cls.description = (doc or "").strip()

    def __init__(self, **params: Any) -> None:
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            known = ", ".join(self.params) or "none"
            raise ParamError(
                unknown[0],
                f"{type(self).__name__} has no parameter {unknown[0]!r} (parameters: {known})",
            )
        values = {key: p.default for key, p in self.params.items()}
        for key, value in params.items():
            values[key] = self.params[key].validate(value)
        self._params = values
        self._host: StrategyHost | None = None
        self.validate()

    @classmethod
    def check_params(cls, values: dict[str, Any]) -> list[ParamError]:
        """Every problem with ``values`` (empty if a strategy can be built from them)."""
        errors: list[ParamError] = []
        for key, value in values.items():
            if key in cls.params:
                try:
                    cls.params[key].validate(value)
                except ParamError as exc:
                    errors.append(exc)
        if not errors:
            try:
                cls.build(values)
            except ParamError as exc:
                errors.append(exc)
        return errors

    @classmethod
    def build(cls, values: Mapping[str, Any]) -> Strategy:
        """An instance with ``values``; whatever the strategy's own ``__init__`` or
        ``validate`` raises (``sys.exit()`` included) becomes a ``ParamError`` naming it, so
        building a strategy can refuse a run but never end the app or the CLI."""
        try:
            return cls(**values)
        except ParamError:
            raise
        except BaseException as exc:
            raise ParamError(
                "validate", f"{cls.__name__} raised {type(exc).__name__}: {exc}"
            ) from exc

    @property
    def parameters(self) -> dict[str, Any]:
        """The values of this instance's parameters."""
        return dict(self._params)

    # -- to override ---------------------------------------------------------------------------
    def validate(self) -> None:
        """Raise ``ParamError(field, message)`` for a combination the strategy cannot run."""

    def setup(self) -> None:
        """Register indicators with :meth:`indicator`; runs once before the first bar."""

    def on_bar(self, bar: BarReceived) -> None:
        """Decide on a bar (of ``bar.symbol``); orders placed here trade from the next bar."""

    def on_fill(self, fill: FillEvent) -> None:
        """Called for each fill of this strategy's orders, before the next ``on_bar``."""

    def on_order(self, event: EventBase) -> None:
        """Called for each broker answer about this strategy's orders (accepted, rejected...)."""

    def on_stop(self) -> None:
        """Called once after the last bar."""

    # -- the API ---------------------------------------------------------------------------------
    @property
    def host(self) -> StrategyHost:
        if self._host is None:
            raise RuntimeError(
                f"{type(self).__name__} is not running: its data and orders are "
                "only available from setup() on"
            )
        return self._host

    def indicator(self, indicator: IndicatorT) -> IndicatorHandle:
        """Declare an indicator; the engine keeps one copy per symbol and updates it each bar."""
        return self.host.add_indicator(indicator)

    @property
    def open(self) -> SeriesHandle:
        return self.host.series["open"]

    @property
    def high(self) -> SeriesHandle:
        return self.host.series["high"]

    @property
    def low(self) -> SeriesHandle:
        return self.host.series["low"]

    @property
    def close(self) -> CloseSeries:
        series = self.host.series["close"]
        assert isinstance(series, CloseSeries)
        return series

    @property
    def volume(self) -> SeriesHandle:
        return self.host.series["volume"]

    def buy(
        self,
        quantity: float = 1,
        *,
        limit: float | None = None,
        stop: float | None = None,
        tif: TimeInForce | str = TimeInForce.GTC,
        expire_ns: int | None = None,
        symbol: str | None = None,
    ) -> int:
        """Submit a buy order; its type follows from the prices given (none: market). Returns
        the order id; a malformed order is rejected, see the module docstring."""
        # a name is read, an unknown one refused, by the request itself (events.order_fields)
        return self.host.submit(True, quantity, limit, stop, tif, expire_ns, symbol)

    def sell(
        self,
        quantity: float = 1,
        *,
        limit: float | None = None,
        stop: float | None = None,
        tif: TimeInForce | str = TimeInForce.GTC,
        expire_ns: int | None = None,
        symbol: str | None = None,
    ) -> int:
        """Submit a sell order (a short sale if flat). Returns the order id."""
        return self.host.submit(False, quantity, limit, stop, tif, expire_ns, symbol)

    def size_for(
        self, fraction: float, *, price: float | None = None, symbol: str | None = None
    ) -> int:
        """Whole units that ``fraction`` of the current equity buys at ``price`` (default: the
        symbol's last close), so a strategy's trades scale with its account: ``0.95`` of a
        100,000 account at 48.0 is 1,979 units. Returns 0 when not even one unit is affordable
        or no price is known yet; the caller decides whether to skip the trade. Commission is
        not deducted: leave it room with a fraction below 1."""
        _require_positive("fraction", fraction)
        if price is None:
            closes = self.host.state(symbol).close if symbol else self.host.current.close
            price = closes[-1] if closes else math.nan
        else:
            _require_positive("price", price)
        equity = self.host.portfolio.equity
        if math.isnan(price) or not equity > 0:
            return 0
        return math.floor(equity * fraction / price)

    def close_position(self, symbol: str | None = None) -> int | None:
        """Flatten a symbol's position (default: the bar's symbol) with a market order.
        Returns the order id, or ``None`` when already flat (no order is sent)."""
        return self.host.close_position(symbol)

    def cancel(self, order_id: int) -> None:
        """Ask to cancel; the broker answers ``CancellationAccepted`` or ``...Rejected``."""
        self.host.cancel(order_id)

    def modify(
        self,
        order_id: int,
        *,
        quantity: float | None = None,
        limit: float | None = None,
        stop: float | None = None,
    ) -> None:
        """Change a working order's quantity or prices (``None`` keeps one); the broker answers
        ``ModificationAccepted`` or ``ModificationRejected`` (the same checks as ``buy``)."""
        self.host.modify(order_id, quantity, limit, stop)

    @property
    def position(self) -> Position:
        """The current symbol's position (``quantity``, ``avg_price``, P&L); false when flat."""
        host = self.host
        position = host.current.position  # the state's own, once it has seen a bar
        return host.portfolio.position(host.current.symbol) if position is None else position

    @property
    def positions(self) -> dict[str, Position]:
        return self.host.portfolio.positions

    @property
    def equity(self) -> float:
        return self.host.portfolio.equity

    @property
    def cash(self) -> float:
        return self.host.portfolio.cash

    @property
    def orders(self) -> dict[int, OrderState]:
        """This strategy's working orders by id."""
        return self.host.working

    @property
    def symbols(self) -> tuple[str, ...]:
        return self.host.symbols

    @property
    def time_ns(self) -> int:
        """Market time of the bar being handled (its open time, ns since the epoch, UTC); in
        ``on_fill`` and ``on_order``, of the bar the fill or the broker's answer belongs to."""
        return self.host.market_time()

    def log(self, message: object) -> None:
        """Say something at the bar being handled (``str()`` of ``message``): the CLI prints it,
        the log dock shows it and the run keeps it, so a replay shows it at its bar."""
        self.host.log(message)
