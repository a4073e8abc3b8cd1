"""Replay of a recorded run bar by bar: a Qt-free timeline, a controller and a toolbar.

``timeline`` and the modules it uses import no Qt, so the state at any bar can be computed (and
tested) without a GUI; ``controller`` and ``toolbar`` drive the chart and blotters with it.
"""
