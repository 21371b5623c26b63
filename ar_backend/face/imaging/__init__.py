"""Pure functions on pixels and points, no state: warping, blending, landmark geometry, the
face's outline, skin, head pose, model tensors, image decoding and swap quality measures."""
