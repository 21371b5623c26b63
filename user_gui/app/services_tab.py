"""The "Services and log" tab: each service's health (the backend, the monitor, the local
status server), the monitor's open alerts with Acknowledge, and the window's own log."""

from __future__ import annotations

import logging

from PyQt5.QtCore import QObject, Qt, pyqtSignal
from PyQt5.QtWidgets import (
    QGroupBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from user_gui.app.i18n import field_message, tr
from user_gui.app.service_checks import MonitorCheck
from user_gui.app.workers import run_async
from user_gui.services.clients import MonitorClient

log = logging.getLogger(__name__)
COLOURS = {"healthy": "#2fbf71", "offline": "#e5484d", "unhealthy": "#e8b339", "unknown": "#8a96a3"}


def alert_status(status: str) -> str:
    """An alert's status in the window's language (a status a newer monitor adds: as sent)."""
    return {
        "firing": tr("firing"),
        "acknowledged": tr("acknowledged"),
        "resolved": tr("resolved"),
    }.get(status, status)


class _LogBridge(QObject, logging.Handler):
    """A logging handler that hands records to the GUI thread as a signal."""

    line = pyqtSignal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        QObject.__init__(self, parent)
        logging.Handler.__init__(self, logging.INFO)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        self.line.emit(self.format(record))


class ServicesTab(QWidget):
    """Services, alerts and the log. ``stop()`` detaches the log (the window closes)."""

    acknowledged = pyqtSignal()  # an alert was acknowledged: the services are read again

    def __init__(self, monitor: MonitorClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.monitor = monitor
        col = QVBoxLayout(self)
        services = QGroupBox(tr("Services"), self)
        scol = QVBoxLayout(services)
        self.indicators: dict[str, QLabel] = {}
        for key, name in (
            ("backend", tr("AR backend")),
            ("monitor", tr("Monitor")),
            ("local", tr("Local server")),
        ):
            label = QLabel(f"{name}: {tr('unknown')}", services)
            label.setWordWrap(True)
            self.indicators[key] = label
            scol.addWidget(label)
        col.addWidget(services)
        alerts = QGroupBox(tr("Open alerts"), self)
        acol = QVBoxLayout(alerts)
        self.alerts = QListWidget(alerts)
        self.alerts.setWordWrap(True)
        self.ack_button = QPushButton(tr("Acknowledge"), alerts)
        self.ack_button.clicked.connect(self.acknowledge_selected)
        acol.addWidget(self.alerts)
        acol.addWidget(self.ack_button)
        col.addWidget(alerts)
        self.log_view = QPlainTextEdit(self)
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(500)
        col.addWidget(self.log_view, 1)
        self._log = _LogBridge(self)
        self._log.line.connect(self.log_view.appendPlainText)
        logging.getLogger().addHandler(self._log)

    def indicate(self, key: str, name: str, state: str, extra: str = "") -> None:
        colour = COLOURS.get(state, COLOURS["unknown"])
        self.indicators[key].setText(
            f"<span style='color:{colour}'>●</span> {name}: {tr(state)} {extra}"
        )

    def show_monitor(self, info: MonitorCheck) -> None:
        self.indicate("monitor", tr("Monitor"), info.status, info.latency)
        current = self.alerts.currentItem()
        selected = current.data(Qt.ItemDataRole.UserRole) if current is not None else None
        self.alerts.clear()
        for alert in info.alerts:
            text = field_message(alert, "message") or alert.cause
            item = QListWidgetItem(f"[{alert_status(alert.status)}] {text}")
            item.setData(Qt.ItemDataRole.UserRole, alert.id)
            self.alerts.addItem(item)
            if alert.id == selected:
                self.alerts.setCurrentItem(item)
        if info.alerts_error:  # an item with no alert id: nothing to acknowledge
            self.alerts.addItem(
                QListWidgetItem(tr("alerts unavailable: {error}", error=info.alerts_error))
            )

    def acknowledge_selected(self) -> None:
        item = self.alerts.currentItem()
        if item is None:
            return
        alert_id = item.data(Qt.ItemDataRole.UserRole)
        if alert_id is None:
            return
        run_async(
            lambda: self.monitor.acknowledge_alert(alert_id, by="studio window"),
            lambda _r: self.acknowledged.emit(),
            lambda msg: log.warning("acknowledge failed: %s", msg),
        )

    def stop(self) -> None:
        logging.getLogger().removeHandler(self._log)
