"""JSON Schemas of the project's outputs, shipped as package data so they load at runtime."""
