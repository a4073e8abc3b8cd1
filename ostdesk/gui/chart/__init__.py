"""The live candlestick chart (``widget.ChartWidget``).

Kept import-free so the Qt-free modules (``series``, ``lod``) load without Qt.
"""
