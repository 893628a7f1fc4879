from . import report_loyalty_statement
