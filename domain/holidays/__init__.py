"""Data only: one ``<year>.yaml`` working-day schedule per year (see README.md).

This file exists so that setuptools packages the folder and its YAML files.
"""
