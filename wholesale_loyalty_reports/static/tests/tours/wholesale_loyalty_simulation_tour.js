/** @odoo-module **/

import { registry } from "@web/core/registry";

// A loyalty administrator raises the Gold threshold in a what-if simulation, sees who moves
// down, and applies the change to the program.
registry.category("web_tour.tours").add("wholesale_loyalty_simulation_tour", {
    url: "/odoo",
    steps: () => [
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
        {
            content: "open Sales > Loyalty",
            trigger: ".o_main_navbar [data-menu-xmlid='wholesale_loyalty_reports.wholesale_loyalty_reporting_menu']",
            run: "click",
        },
        {
            content: "open What-if",
            trigger: ".dropdown-menu [data-menu-xmlid='wholesale_loyalty_reports.wholesale_loyalty_simulation_menu']",
            run: "click",
        },
        {
            content: "a new simulation",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "name it",
            trigger: "div[name=name] input",
            run: "edit Gold from 2,000",
        },
        {
            content: "pick the program",
            trigger: "div[name=program_id] input",
            run: "edit Tour Simulation Program",
        },
        {
            content: "choose it",
            trigger: ".o-autocomplete--dropdown-menu li a:contains(Tour Simulation Program)",
            run: "click",
        },
        {
            content: "the program's tiers are copied into the draft",
            trigger: "div[name=tier_line_ids] .o_data_row:contains(Gold) td[name=threshold_amount]",
            run: "click",
        },
        {
            content: "raise the Gold threshold",
            trigger: "div[name=tier_line_ids] .o_selected_row td[name=threshold_amount] input",
            run: "edit 2000",
        },
        {
            content: "simulate",
            trigger: "button[name=action_simulate]",
            run: "click",
        },
        {
            content: "simulated",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Simulated)",
        },
        {
            content: "open the results",
            trigger: ".o_notebook a.nav-link:contains(Results)",
            run: "click",
        },
        {
            content: "one customer moves down",
            trigger: "div[name=moved_down_count]:contains(1)",
        },
        {
            content: "open the movers",
            trigger: ".o_notebook a.nav-link:contains(Movers)",
            run: "click",
        },
        {
            content: "the customer between the old and the new threshold",
            trigger: "div[name=move_ids] .o_data_row:contains(Tour Simulation Beta):contains(Silver)",
        },
        {
            content: "apply to the program",
            trigger: "button[name=action_apply]",
            run: "click",
        },
        {
            content: "confirm",
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "the simulation says when it was applied",
            trigger: "div[name=applied_date]:not(:empty)",
        },
    ],
});
