"""Controllers that run inside the simulator's event loop, as kube-controller-manager and Argo do."""
