from . import liability_tie_out_report
