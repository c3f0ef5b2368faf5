"""The composition of `syncd run`: the layer above the runtime and the web app that assembles them into a process."""
