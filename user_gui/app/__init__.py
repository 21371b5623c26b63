"""The Qt side of the GUI: widgets that draw and emit signals; network work in threads."""
