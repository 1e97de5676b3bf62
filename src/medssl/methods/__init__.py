"""Self-supervised methods. Each is one file registered in :data:`METHODS`."""

from medssl.methods.base import METHODS, Method, create_method, method_names

__all__ = ["METHODS", "Method", "create_method", "method_names"]
