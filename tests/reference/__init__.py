"""Frozen copies of earlier code that tests compare against."""
