"""Screenshots of the Optimize view in the real (X11) main window, as a trader sees it.

Starts ``Xvfb`` at the given size when there is no ``DISPLAY`` (as ``bench/screenshot.py``),
opens the app on a temp database with the demo data, runs a grid study of SmaCross (fast x slow)
from Run > Optimize… and grabs the screen with the results table, the heatmap and the studies
in front; then a three-parameter random study for the parallel coordinates, and a study of two
objectives for the Pareto front; a study cancelled part way (its progress line), the first study
opened again from the Studies tab (the form loads its set-up) and the Walk-forward panel. Run:
``python bench/optimize_screenshot.py [--size 1440x900] [--out screenshots/optimize.png]``;
the shots are saved beside ``--out`` as ``optimize-<tab>.png``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

if not __package__:  # run as ``python bench/optimize_screenshot.py``: siblings importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.screenshot import start_xvfb

ROOT = Path(__file__).resolve().parent.parent


def take(out: Path, symbols: int) -> None:
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtGui import QGuiApplication

    from ostdesk.gui.app import create_application, display_problem
    from ostdesk.gui.main_window import MainWindow
    from ostdesk.store import DEMO_SYMBOLS, Database, install_demo_data

    problem = display_problem()
    if problem:
        sys.exit(problem)

    def pause(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def grab(name: str) -> None:
        pause(800)
        path = out.with_name(f"{out.stem}-{name}.png")
        QGuiApplication.primaryScreen().grabWindow(0).save(str(path))
        print(path)

    def study(window: MainWindow, ranges: dict[str, tuple[str, str, str]]) -> None:
        view = window.optimize
        for name, row in view.form.ranges.rows.items():
            row.vary.setChecked(name in ranges)
            if name in ranges:
                row.low.setText(ranges[name][0])
                row.high.setText(ranges[name][1])
                row.step.setText(ranges[name][2])
        loop = QEventLoop()
        view.studyFinished.connect(loop.quit)
        view.study_thread.failed.connect(loop.quit)
        if not view.start():
            sys.exit(f"the study did not start: {view.reason.text()}")
        QTimer.singleShot(600_000, loop.quit)
        loop.exec()
        view.studyFinished.disconnect(loop.quit)
        view.study_thread.failed.disconnect(loop.quit)

    with tempfile.TemporaryDirectory(prefix="ostdesk-shot-") as tmp:
        os.environ["XDG_CONFIG_HOME"] = str(Path(tmp) / "config")
        os.environ["XDG_DATA_HOME"] = str(Path(tmp) / "data")
        app = create_application()
        db = Database.open(Path(tmp) / "demo.duckdb")
        install_demo_data(db)
        window = MainWindow(db)
        window.setGeometry(QGuiApplication.primaryScreen().availableGeometry())  # no WM here
        window.reset_layout()
        window.show()
        while window.config_panel.data.summary is None:
            app.processEvents()
        window.config_panel.select_strategy("SmaCross")
        window.config_panel.set_symbols(list(DEMO_SYMBOLS[:symbols]))
        out.parent.mkdir(parents=True, exist_ok=True)
        window.optimize_action.trigger()
        view = window.optimize
        grab("setup")
        study(window, {"fast": ("5", "50", "5"), "slow": ("20", "200", "20")})
        column = view.model.columns.index("Sharpe Ratio")
        view.table.sortByColumn(column, Qt.SortOrder.DescendingOrder)
        grab("results")
        view.tabs.setCurrentWidget(view.heatmap)
        grab("heatmap")
        view.form.set_method("random")
        view.form.trials.setValue(60)
        study(
            window,
            {
                "fast": ("5", "50", "5"),
                "slow": ("20", "200", "20"),
                "fraction": ("0.2", "1", "0.2"),
            },
        )
        view.tabs.setCurrentWidget(view.parallel)
        grab("parallel")
        view.form.objective2.setCurrentText("Max. Drawdown [%]")
        study(window, {"fast": ("5", "50", "5"), "slow": ("20", "200", "20")})
        view.tabs.setCurrentWidget(view.pareto)
        grab("pareto")
        view.tabs.setCurrentWidget(view.studies)
        grab("studies")
        view.form.objective2.setCurrentIndex(0)
        view.form.set_method("random")
        view.form.trials.setValue(5_000)
        cancel_after = QTimer()
        cancel_after.setSingleShot(True)
        cancel_after.timeout.connect(view.cancel)
        view.study_thread.trialsReady.connect(
            lambda _rows: cancel_after.isActive() or cancel_after.start(3_000)
        )
        study(window, {"fast": ("5", "50", "1"), "slow": ("20", "200", "1")})
        grab("cancelled")
        view.open_study(1)
        while view.study_id != 1:
            app.processEvents()
        grab("opened")
        window.show_walkforward()
        grab("walkforward")
        window.close()
        db.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1440x900")
    parser.add_argument("--symbols", type=int, default=2, help="demo symbols studied")
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots" / "optimize.png")
    args = parser.parse_args()
    server = None if os.environ.get("DISPLAY") else start_xvfb(args.size)
    try:
        take(args.out, args.symbols)
    finally:
        if server is not None:
            server.terminate()
            server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
