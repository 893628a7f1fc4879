from . import (
    account_move,
    res_partner,
    wholesale_loyalty_kpi,
    wholesale_loyalty_kpi_tier,
    wholesale_loyalty_program,
    wholesale_loyalty_report,
    wholesale_loyalty_report_summary,
    wholesale_loyalty_roi_scenario,
    wholesale_loyalty_roi_sensitivity,
)
