"""The compiler's stages, one module each; `driver` runs them in order."""
