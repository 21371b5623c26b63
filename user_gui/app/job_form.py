"""The Files tab's settings for the jobs added next: the face they wear (the one the studio
has loaded, or a picture chosen for them, and which face of it), the options (many faces,
mouth mask), the face enhancer with its strength (off by default; the face panel's "Use
for file jobs" sets it), and the background (the studio's, or none)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PyQt5.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from user_gui.app.i18n import tr
from user_gui.app.model_files import ENHANCERS, enhancer_name
from user_gui.app.user_files import IMAGE_SUFFIXES, dialog_folder, patterns, remember_folder
from user_gui.app.widgets import wrapping


class JobForm(QGroupBox):
    """The face and options of the jobs added next (``job_settings()``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(tr("Face for these jobs"), parent)
        self.face_picture: str | None = None  # a local picture for these jobs
        fcol = QVBoxLayout(self)
        self.use_loaded = QRadioButton(tr("The loaded face"))
        self.use_loaded.setToolTip(tr("The face the studio has loaded when the job is added"))
        self.use_picture = QRadioButton(tr("A picture:"))
        self.use_loaded.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.use_loaded)
        group.addButton(self.use_picture)
        self.use_picture.toggled.connect(self._picture_toggled)
        fcol.addWidget(self.use_loaded)
        prow = QHBoxLayout()
        self.choose_picture = QPushButton(tr("Choose picture…"))
        self.choose_picture.clicked.connect(self.pick_face_picture)
        self.picture_name = wrapping(QLabel(tr("none chosen")))
        prow.addWidget(self.use_picture)
        prow.addWidget(self.choose_picture)
        prow.addWidget(self.picture_name, 1)
        fcol.addLayout(prow)
        irow = QHBoxLayout()
        self.face_number = QSpinBox()
        self.face_number.setRange(0, 99)
        self.face_number.setSpecialValueText(tr("the only one"))
        self.face_number.setToolTip(tr("Which face of a group picture, counted from the left"))
        irow.addWidget(QLabel(tr("Face in the picture")))
        irow.addWidget(self.face_number)
        irow.addStretch(1)
        fcol.addLayout(irow)
        orow = QHBoxLayout()
        self.many_faces = QCheckBox(tr("Many faces"))
        self.many_faces.setToolTip(tr("Swap every face in the picture; else the largest only"))
        self.mouth_mask = QCheckBox(tr("Mouth mask"))
        self.mouth_mask.setToolTip(tr("Keep your own mouth so speech stays real"))
        orow.addWidget(self.many_faces)
        orow.addWidget(self.mouth_mask)
        orow.addStretch(1)
        fcol.addLayout(orow)
        erow = QHBoxLayout()
        self.enhancer = QComboBox()
        for model in ENHANCERS:
            self.enhancer.addItem(enhancer_name(model), model)
        self.enhancer.setToolTip(
            tr("Restore detail in the swapped faces (slower; its model file must be downloaded)")
        )
        self.enhancer.currentIndexChanged.connect(self._enhancer_changed)
        self.enhancer_strength = QSpinBox()  # percent, as the face panel's slider
        self.enhancer_strength.setRange(0, 100)
        self.enhancer_strength.setSingleStep(5)
        self.enhancer_strength.setSuffix("%")
        self.enhancer_strength.setValue(80)
        self.enhancer_strength.setToolTip(tr("How much of the enhanced face is kept"))
        erow.addWidget(QLabel(tr("Enhancer")))
        erow.addWidget(self.enhancer, 1)
        erow.addWidget(QLabel(tr("Strength")))
        erow.addWidget(self.enhancer_strength)
        fcol.addLayout(erow)
        brow = QHBoxLayout()
        self.background = QComboBox()
        self.background.addItem(tr("As in the studio"), "studio")
        self.background.addItem(tr("Left as it is"), "off")
        self.background.setToolTip(
            tr("The studio's background (blurred, a colour, a picture) in every frame, or none")
        )
        brow.addWidget(QLabel(tr("Background")))
        brow.addWidget(self.background, 1)
        fcol.addLayout(brow)
        self._enhancer_changed()
        self._picture_toggled(False)

    def _enhancer_changed(self, _index: int = 0) -> None:
        self.enhancer_strength.setEnabled(self.enhancer.currentData() != "off")

    def set_enhancer(self, model: str, strength: float | None = None) -> None:
        """Jobs added from now on run this enhancer ("off": none), at ``strength``."""
        index = self.enhancer.findData(model)
        if index < 0:
            self.enhancer.addItem(enhancer_name(model), model)
            index = self.enhancer.count() - 1
        self.enhancer.setCurrentIndex(index)
        if strength is not None:
            self.enhancer_strength.setValue(round(100 * strength))

    def _picture_toggled(self, on: bool) -> None:
        self.face_number.setEnabled(on)
        if on and not self.face_picture:
            self.pick_face_picture()

    def pick_face_picture(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            tr("The face for these jobs"),
            dialog_folder("pictures"),
            tr("Pictures ({patterns})", patterns=patterns(IMAGE_SUFFIXES)),
        )
        if path:
            remember_folder("pictures", path)
            self.set_face_picture(path)
        elif not self.face_picture:
            self.use_loaded.setChecked(True)

    def set_face_picture(self, path: str | None) -> None:
        """Jobs added from now on wear the face in this picture (None: the loaded face)."""
        self.face_picture = path or None
        self.picture_name.setText(Path(path).name if path else tr("none chosen"))
        self.picture_name.setToolTip(path or "")
        (self.use_picture if path else self.use_loaded).setChecked(True)

    def job_settings(self) -> dict[str, Any]:
        """What a job added now is sent with: face, face_index, engine, options, background
        (None: the studio's)."""
        picture = self.face_picture if self.use_picture.isChecked() else None
        number = self.face_number.value()
        return {
            "face": Path(picture) if picture else "loaded",
            "face_index": number - 1 if picture and number > 0 else None,
            "engine": None,  # the live swap's engine
            "options": self.job_options(),
            "background": {"mode": "off"} if self.background.currentData() == "off" else None,
        }

    def job_options(self) -> dict[str, Any]:
        """The face options a job added now runs with."""
        enhancer = str(self.enhancer.currentData() or "off")
        options: dict[str, Any] = {
            "many_faces": self.many_faces.isChecked(),
            "mouth_mask": self.mouth_mask.isChecked(),
            "enhancer": enhancer,
        }
        if enhancer != "off":
            options["enhancer_strength"] = self.enhancer_strength.value() / 100
        return options
