"""Pure rendering of a namespace request into the manifests that realise it. No I/O."""
