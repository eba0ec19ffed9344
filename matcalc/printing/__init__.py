"""Printing results: LaTeX in the Cookbook's notation, derivations as ``align*``, the text
language the command line prints (and ``matcalc.parse`` reads back), IPython display.

==================  ==========================================================
``latex``           ``MatcalcLatexPrinter``, ``latex(expr)``
``derivation``      ``derivation_latex``, ``align_steps``, rule notes, ``PREAMBLE``
``text``            ``TextPrinter``, ``text_form(expr)``
``display``         ``init_printing`` and the check-report tables for IPython
``dispatch``        ``RegisteredPrinter``: the registry in front of SymPy's printers
==================  ==========================================================

Each construct's notation is registered by its own module (``LATEX``, ``TEXT``); these
printers only look it up.
"""
from .latex import MatcalcLatexPrinter, latex
from .derivation import (PREAMBLE, RULE_NOTES, align_steps, derivation_latex, escape_text,
                         rule_note, space_differentials, tidy_step)
from .text import TextPrinter, text_form
from .display import init_printing

__all__ = ["MatcalcLatexPrinter", "latex", "derivation_latex", "align_steps", "rule_note",
           "RULE_NOTES", "tidy_step", "space_differentials", "escape_text", "PREAMBLE",
           "TextPrinter", "text_form", "init_printing"]
