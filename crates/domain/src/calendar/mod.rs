//! Working calendar and deadline engine (placeholder).
