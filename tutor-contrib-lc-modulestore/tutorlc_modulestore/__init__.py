"""Tutor plugin for lc-modulestore (``tutor plugins enable lc_modulestore``)."""
