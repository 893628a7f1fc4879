/** @odoo-module **/

import { currencies } from "@web/core/currency";
import { registry } from "@web/core/registry";

const PROGRAM = "Tour Reports Program";

function openSalesApp() {
    return [
        {
            content: "open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "open the Sales app",
            trigger: ".o_app[data-menu-xmlid='sale.sale_menu_root']",
            run: "click",
        },
    ];
}

function openLoyaltyMenu(itemXmlid) {
    return [
        {
            content: "open Sales > Loyalty",
            trigger: ".o_main_navbar [data-menu-xmlid='wholesale_loyalty_reports.wholesale_loyalty_reporting_menu']",
            run: "click",
        },
        {
            content: `open ${itemXmlid}`,
            trigger: `.dropdown-menu [data-menu-xmlid='wholesale_loyalty_reports.${itemXmlid}']`,
            run: "click",
        },
    ];
}

// A sales rep (own documents only) finds the loyalty reports in the Sales app: the KPI
// screen of the program under its own title, then the analysis grouped by membership.
registry.category("web_tour.tours").add("wholesale_loyalty_reports_rep_tour", {
    url: "/odoo",
    steps: () => [
        ...openSalesApp(),
        ...openLoyaltyMenu("wholesale_loyalty_kpi_menu"),
        {
            content: "the screen is titled after the program",
            trigger: `.o_wholesale_kpi_title:contains(Loyalty KPIs — ${PROGRAM})`,
        },
        {
            content: "the breadcrumb too, not the record's technical name",
            trigger: `.o_breadcrumb:contains(Loyalty KPIs — ${PROGRAM}):not(:contains(wholesale.loyalty.kpi))`,
        },
        {
            content: "the rep's own invoice: 1,500.00 of member revenue",
            trigger: "div[name=member_revenue]:contains(1,500.00)",
        },
        {
            content: "refresh the figures",
            trigger: ".o_form_view button[name=action_refresh]",
            run: "click",
        },
        {
            content: "the refresh says what it did",
            trigger: `.o_notification:contains(Figures of ${PROGRAM} recomputed)`,
        },
        ...openLoyaltyMenu("wholesale_loyalty_report_menu"),
        {
            content: "analysis as a list",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            content: "the list shows its rows",
            trigger: ".o_list_view .o_data_row",
        },
        {
            content: "open the search options",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "group by membership",
            trigger: ".o_group_by_menu .o_menu_item:contains(Membership)",
            run: "click",
        },
        {
            content: "members are called members",
            trigger: ".o_list_view .o_group_name:contains(Members)",
        },
        {
            content: "no true / false group",
            trigger: ".o_list_view:not(:has(.o_group_name:contains(true))):not(:has(.o_group_name:contains(false)))",
        },
    ],
});

// An administrator reads the KPI screen (growth without a previous period, point value in
// money) and the sensitivity of an ROI scenario as lines.
registry.category("web_tour.tours").add("wholesale_loyalty_reports_admin_tour", {
    url: "/odoo",
    steps: () => [
        ...openSalesApp(),
        ...openLoyaltyMenu("wholesale_loyalty_kpi_menu"),
        {
            content: "the screen is titled after the program",
            trigger: `.o_wholesale_kpi_title:contains(Loyalty KPIs — ${PROGRAM})`,
        },
        {
            content: "no revenue before the period: growth is n/a",
            trigger: ".o_wholesale_kpi_member_growth span:visible:contains(n/a)",
        },
        {
            content: "the member revenue of the period",
            trigger: "div[name=member_revenue]:contains(4,000.00)",
        },
        {
            content: "the point value is money, with the currency",
            trigger: "div[name=point_value]:contains(0.50)",
            run() {
                const text = this.anchor.textContent.trim();
                if (text.includes("0.5000") || !Object.values(currencies).some((c) => text.includes(c.symbol))) {
                    throw new Error(`The point value reads "${text}", not an amount of money.`);
                }
            },
        },
        {
            content: "the months are whole",
            trigger: "div[name=month_count]:not(:contains(.))",
        },
        ...openLoyaltyMenu("wholesale_loyalty_roi_scenario_menu"),
        {
            content: "open the scenario",
            trigger: ".o_list_view .o_data_row td:contains(Tour ROI)",
            run: "click",
        },
        {
            content: "the article's ROI",
            trigger: "div[name=roi_percent]:contains(42.50)",
        },
        {
            content: "open the sensitivity graph",
            trigger: "button[name=action_open_sensitivity_graph]",
            run: "click",
        },
        {
            content: "a line chart",
            trigger: ".o_graph_view .o_graph_renderer canvas",
        },
        {
            content: "lines, not stacks",
            trigger: ".o_graph_view button[data-tooltip=Stacked]:not(.active)",
        },
        {
            content: "the same figures as a pivot",
            trigger: ".o_switch_view.o_pivot",
            run: "click",
        },
        {
            content: "at 0% change every input reads the scenario's ROI",
            trigger: ".o_pivot table tbody tr th.o_pivot_header_cell_closed",
            run() {
                const row = [...document.querySelectorAll(".o_pivot table tbody tr")].find(
                    (tr) => tr.querySelector("th")?.textContent.trim() === "0"
                );
                const values = [...(row?.querySelectorAll("td") || [])].map((td) => td.textContent.trim());
                if (values.length !== 4 || values.some((value) => value !== "42.50")) {
                    throw new Error(`At 0% change the ROI reads ${JSON.stringify(values)}, not 42.50 for every input.`);
                }
            },
        },
    ],
});
