"""ostdesk: research, backtest and replay trading strategies on an event-driven engine."""

__version__ = "0.1.0"
