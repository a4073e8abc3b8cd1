"""Replay of a recorded run bar by bar: a Qt-free timeline, a controller, a toolbar and a banner.

``timeline`` and the modules it uses import no Qt, so the state at any bar can be computed (and
tested) without a GUI; ``controller`` and ``toolbar`` drive the chart and blotters with it, at
Max speed as fast as ``pacing`` says the display draws; ``banner`` names the run replayed and
the way out of the replay; ``mode`` gives the window its replay look and takes it back.
"""
