"""The window's Face group: the source face and the swap (``SourcePanel``), the engine, its
options and GPU (``EnginePanel``), and the face enhancer (``EnhancerPanel``), one above the
other; and the Models dialog they open.

Every backend call runs on the pool; answers come back here on the GUI thread. The backend's
``GET /face/status``, fetched by the window's periodic refresh, is the truth the panels show;
a change the user started wins over a refresh that was already on its way (``FaceCalls``).
Until a face is loaded the source panel shows the first-run steps in place (``guidance``),
and ``next_step()`` tells the window which. Every text goes through ``tr`` and is put back in
the new language on Qt's LanguageChange.
"""

from __future__ import annotations

import logging

from PyQt5.QtCore import QSettings, pyqtSignal, pyqtSlot
from PyQt5.QtWidgets import QGroupBox, QVBoxLayout, QWidget

from shared.wire.backend import FaceStatus
from user_gui.app.face.calls import FaceCalls
from user_gui.app.face.engine import EnginePanel
from user_gui.app.face.enhancer import EnhancerPanel
from user_gui.app.face.source import SourcePanel
from user_gui.app.i18n import tr
from user_gui.app.model_files import models_for_engine
from user_gui.app.models_dialog import ModelsDialog
from user_gui.app.widgets import Text, on_language_change
from user_gui.app.workers import run_async
from user_gui.services.clients import ARBackendClient

log = logging.getLogger(__name__)


class FacePanel(QGroupBox):
    face_loaded = pyqtSignal(bool)  # whether the backend holds a source face; on change only
    swap_changed = pyqtSignal(bool)  # whether the swap is on (the backend's word); on change
    next_step_changed = pyqtSignal(str)  # "camera", "face", "swap" or "output"; on change
    enhancer_for_files = pyqtSignal(str, float)  # "Use for file jobs": the model, its strength

    def __init__(
        self, backend: ARBackendClient, settings: QSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__(tr("Face"), parent)
        self.backend = backend
        self._backend_ok = False
        self._models_dialog: ModelsDialog | None = None
        self.calls = FaceCalls(backend, self)
        self.calls.busy_changed.connect(lambda _busy: self._enable())
        col = QVBoxLayout(self)
        self.source = SourcePanel(self.calls, settings, self)
        self.engines = EnginePanel(self.calls, self)
        self.enhancer = EnhancerPanel(self.calls, self)
        for panel in (self.source, self.engines, self.enhancer):
            col.addWidget(panel)
            panel.changed.connect(self._on_changed)
        self.source.face_loaded.connect(self.face_loaded)
        self.source.swap_changed.connect(self.swap_changed)
        self.source.next_step_changed.connect(self.next_step_changed)
        self.engines.said.connect(self.source.say)
        self.enhancer.use_for_files.connect(self.enhancer_for_files)
        for sub in (self.engines, self.enhancer):
            sub.refresh_wanted.connect(self._refresh_now)
            sub.models_wanted.connect(self._models_wanted)
        on_language_change(self, lambda: self.setTitle(tr("Face")))
        self._enable()  # offline until the window says otherwise

    # ---- state -----------------------------------------------------------------------------

    def set_backend_ok(self, ok: bool, reason: Text = "") -> None:
        """Controls follow the backend like the camera's (offline: disabled, with the reason);
        an unreachable backend holds no face as far as this window can tell."""
        self._backend_ok = ok
        if not ok:
            self.engines.show_state(reason)
            self.source.set_loaded(False)
        self._enable()

    def _enable(self) -> None:
        ready = self._backend_ok and not self.calls.busy
        for panel in (self.source, self.engines, self.enhancer):
            panel.set_ready(ready)

    def next_step(self) -> str:
        """The first-run step to do next: "camera", "face", "swap" or "output"."""
        return self.source.next_step

    def set_camera_running(self, running: bool) -> None:
        """The window tells whether the camera is running (the first step)."""
        self.source.set_camera_running(running)

    @property
    def is_loaded(self) -> bool:
        return self.source.is_loaded

    @property
    def swap_on(self) -> bool:
        """Whether the swap is on, as the backend last said (or as just asked for)."""
        return self.source.swap_on

    @pyqtSlot()
    def toggle_swap(self) -> None:
        """Flip the swap (a hotkey's slot); nothing while the toggle is disabled."""
        self.source.toggle_swap()

    @property
    def engines_listed(self) -> bool:
        return self.engines.listed

    def load_engines(self) -> None:
        self.engines.load_engines()

    # ---- the backend's truth ---------------------------------------------------------------

    @property
    def changes(self) -> int:
        """Taken when a refresh starts and handed back to ``show_status`` with its answer."""
        return self.calls.changes

    def show_status(
        self, status: FaceStatus | None, changes: int | None = None, error: str = ""
    ) -> None:
        """Show ``GET /face/status`` (None: it could not be read, ``error`` says why); an
        answer to a refresh begun before the user's last change is stale and dropped."""
        if self.calls.busy or (changes is not None and changes != self.calls.changes):
            return
        if status is None:
            self.engines.show_state(lambda: tr("face status unavailable: {error}", error=error))
            return
        self.source.show_source(status.source)
        self._show_controls(status)

    def _show_controls(self, status: FaceStatus) -> None:
        self.source.set_swap_on(status.enabled)
        self.engines.show_status(status)
        self.enhancer.show_status(status)

    def _on_changed(self, status: FaceStatus) -> None:
        """A change's answer: the backend's new state, in every panel (an enhancer that was
        not turned on before it is no longer said)."""
        self.enhancer.forget_refusal()
        self.source.say("")
        self.source.show_source(status.source)
        self._show_controls(status)

    def _refresh_now(self) -> None:
        changes = self.calls.changes
        run_async(
            self.backend.face_status,
            lambda s: self.show_status(s, changes),
            lambda msg: log.warning("face status not read: %s", msg),
        )

    # ---- the Models dialog -----------------------------------------------------------------

    @property
    def models_dialog(self) -> ModelsDialog | None:
        return self._models_dialog

    def _models_wanted(self, focus: list[str], what: str, engine: str) -> None:
        self.open_models(focus, what, engine or None)

    def open_models(
        self, focus: list[str] | None = None, what: str = "", engine: str | None = None
    ) -> ModelsDialog:
        """Open the Models dialog (one per window, kept while downloads run), focused on
        ``focus`` (the models ``what`` needs; for an ``engine``, the models it needs); an
        engine whose models are not known until the list is read is focused once it is."""
        dialog = self._models_dialog
        if dialog is None:
            dialog = ModelsDialog(self.backend, self.window())
            dialog.model_ready.connect(self._model_ready)
            self._models_dialog = dialog
        if engine is not None and not focus:
            focus = models_for_engine(engine, dialog.listing)
        if engine is not None and not focus:
            wanted = engine

            def focus_later() -> None:
                dialog.listed.disconnect(focus_later)
                dialog.focus_on(models_for_engine(wanted, dialog.listing), what)

            dialog.listed.connect(focus_later)
        dialog.focus_on(focus or [], what)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def _model_ready(self, name: str) -> None:
        """A model's files are in place: engines and the enhancer are read again."""
        self.enhancer.model_ready(name)
        self.engines.load_engines()
        self._refresh_now()

    def stop(self) -> None:
        """The window closes: the Models dialog stops reading (downloads go on, on the
        backend)."""
        self.enhancer.stop()
        if self._models_dialog is not None:
            self._models_dialog.stop()
            self._models_dialog.close()
