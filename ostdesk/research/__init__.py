"""Research on recorded and re-run backtests: parameter studies, walk-forward, Monte Carlo and
overfitting statistics. Qt-free, so the CLI and the window drive the same code."""
