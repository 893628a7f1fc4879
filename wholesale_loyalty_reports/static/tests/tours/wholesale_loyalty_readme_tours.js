/** @odoo-module **/

import { registry } from "@web/core/registry";

const { DateTime } = luxon;

// The README's "Where to click first", walked on the demo database as each demo user.
const tours = registry.category("web_tour.tours");

function openApp(xmlid) {
    return [
        { content: "open the apps menu", trigger: ".o_navbar_apps_menu button", run: "click" },
        { content: `open ${xmlid}`, trigger: `.o_app[data-menu-xmlid='${xmlid}']`, run: "click" },
    ];
}

function openMenu(section, item) {
    return [
        { content: `open ${section}`, trigger: `.o_main_navbar [data-menu-xmlid='${section}']`, run: "click" },
        { content: `open ${item}`, trigger: `.dropdown-menu [data-menu-xmlid='${item}']`, run: "click" },
    ];
}

function pickCustomer(name) {
    return [
        { content: `customer ${name}`, trigger: ".o_field_widget[name=partner_id] input", run: `edit ${name}` },
        { trigger: `.ui-menu-item > a:contains(${name})`, run: "click" },
    ];
}

function addProduct(name) {
    return [
        { content: `add ${name}`, trigger: "a:contains('Add a product')", run: "click" },
        { trigger: "div[name=product_template_id] input", run: `edit ${name}` },
        { trigger: `ul.ui-autocomplete a:contains(${name})`, run: "click" },
    ];
}

const save = [
    { content: "save", trigger: ".o_form_button_save", run: "click" },
    { content: "saved", trigger: ".o_form_view .o_form_saved" },
];

// Steps 1, 2, 7, 9 and 12 as admin.
tours.add("wholesale_loyalty_readme_admin_tour", {
    url: "/odoo",
    steps: () => [
        ...openApp("sale.sale_menu_root"),
        // 1. Programs, each opening on its summary; Recalculate Tiers says who moved.
        ...openMenu("sale.menu_sale_config", "wholesale_loyalty.wholesale_loyalty_program_menu"),
        { content: "the cumulative program", trigger: ".o_data_row:contains(Cumulative Discount Groups)" },
        { content: "the main program", trigger: ".o_data_row:contains(Wholesale Partner Program) td[name=name]", run: "click" },
        {
            content: "the summary in plain sentences",
            trigger: ".o_form_view:contains(invoiced in the last 12 months: 3.00% off every line)",
        },
        { content: "recalculate", trigger: "button[name=action_recalculate_tiers]", run: "click" },
        { content: "confirm", trigger: ".modal-footer .btn-primary", run: "click" },
        { content: "who moved", trigger: ".o_notification:contains(Wholesale Partner Program: recalculated)" },
        // 2. Northwind: the smart button, the Loyalty tab.
        ...openMenu("sale.sale_order_menu", "sale.res_partner_menu"),
        { content: "search Northwind", trigger: ".o_searchview_input", run: "edit Northwind Traders" },
        { trigger: ".o_searchview_input", run: "press Enter" },
        { content: "open Northwind", trigger: ".o_kanban_record:contains(Northwind Traders)", run: "click" },
        {
            content: "the smart button shows the tier and the points",
            trigger: ".o_field_widget[name=wholesale_loyalty_stat]:contains(Platinum):contains(pts)",
        },
        { content: "tab Loyalty", trigger: "a.nav-link:contains(Loyalty)", run: "click" },
        { content: "tier since", trigger: "div[name=wholesale_tier_since]:not(:empty)" },
        { content: "qualifying spend", trigger: "div[name=wholesale_qualifying_amount]:contains(56,000.00)" },
        { content: "highest tier", trigger: ".o_notebook:contains(Highest tier reached)" },
        { content: "Lock Tier", trigger: "button[name=action_wholesale_lock_tier]" },
        { content: "Recalculate Tier", trigger: "button[name=action_wholesale_recompute_tier]:contains(Recalculate Tier)" },
        // 2. A customer enrolled below the first tier: its history row shows no spend of 0.00.
        ...openMenu("sale.sale_order_menu", "sale.res_partner_menu"),
        { content: "search Adventure Works", trigger: ".o_searchview_input", run: "edit Adventure Works Shop" },
        { trigger: ".o_searchview_input", run: "press Enter" },
        { content: "open it", trigger: ".o_kanban_record:contains(Adventure Works Shop)", run: "click" },
        { content: "tab Loyalty", trigger: "a.nav-link:contains(Loyalty)", run: "click" },
        {
            content: "open its account",
            trigger: "div[name=wholesale_member_ids] .o_data_row:contains(Cumulative Discount Groups) td[name=program_id]",
            run: "click",
        },
        {
            content: "the enrollment row leaves the spend empty",
            trigger: ".modal div[name=tier_history_ids] .o_data_row:contains(Enrollment) td[name=qualifying_amount]:not(:contains(0.00))",
        },
        {
            content: "the row of the tier reached shows its spend",
            trigger: ".modal div[name=tier_history_ids] .o_data_row:contains(Group 1) td[name=qualifying_amount]:contains(600.00)",
        },
        { content: "close the account", trigger: ".modal .btn-close", run: "click" },
        // 12. Personal offers.
        ...openMenu("sale.menu_sale_config", "wholesale_loyalty.wholesale_loyalty_personal_offer_menu"),
        {
            content: "Northwind's offer on the Wholesale Box",
            trigger: ".o_data_row:contains(Northwind Traders):contains(Wholesale Box (demo)):contains(7.00)",
        },
        // 7. Reports.
        ...openMenu("wholesale_loyalty_reports.wholesale_loyalty_reporting_menu",
            "wholesale_loyalty_reports.wholesale_loyalty_kpi_menu"),
        {
            content: "the KPI screen opens on the main program",
            trigger: ".o_form_view .o_field_widget[name=program_id] input:value(Wholesale Partner Program)",
        },
        ...openMenu("wholesale_loyalty_reports.wholesale_loyalty_reporting_menu",
            "wholesale_loyalty_reports.wholesale_loyalty_report_menu"),
        { content: "the analysis", trigger: ".o_breadcrumb:contains(Loyalty Analysis)" },
        ...openMenu("wholesale_loyalty_reports.wholesale_loyalty_reporting_menu",
            "wholesale_loyalty_reports.res_partner_tier_distribution_menu"),
        { content: "the tier distribution", trigger: ".o_breadcrumb:contains(Tier Distribution)" },
        ...openMenu("wholesale_loyalty_reports.wholesale_loyalty_reporting_menu",
            "wholesale_loyalty_reports.wholesale_loyalty_roi_scenario_menu"),
        {
            content: "the article's example: 28,500 and 42.5%",
            trigger: ".o_data_row:contains(Large customers, three years):contains(28,500.00):contains(42.50)",
        },
        // 9. What-if: a higher Gold threshold moves Contoso down.
        ...openMenu("wholesale_loyalty_reports.wholesale_loyalty_reporting_menu",
            "wholesale_loyalty_reports.wholesale_loyalty_simulation_menu"),
        { content: "the simulations", trigger: ".o_breadcrumb:contains(What-if)" },
        { content: "a new simulation", trigger: ".o_list_button_add", run: "click" },
        { content: "name it", trigger: "div[name=name] input", run: "edit Gold from 15,000" },
        { content: "pick the program", trigger: "div[name=program_id] input", run: "edit Wholesale Partner" },
        { trigger: ".o-autocomplete--dropdown-menu li a:contains(Wholesale Partner Program)", run: "click" },
        {
            content: "the program's tiers are copied",
            trigger: "div[name=tier_line_ids] .o_data_row:contains(Gold) td[name=threshold_amount]",
            run: "click",
        },
        {
            content: "raise the Gold threshold",
            trigger: "div[name=tier_line_ids] .o_selected_row td[name=threshold_amount] input",
            run: "edit 15000",
        },
        { content: "simulate", trigger: "button[name=action_simulate]", run: "click" },
        { trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Simulated)" },
        {
            content: "the key results on top, now and proposed side by side",
            trigger: ".o_wholesale_simulation_summary:contains(Now):contains(Proposed):contains(Moving down)",
        },
        { content: "open the movers", trigger: ".o_notebook a.nav-link:contains(Movers)", run: "click" },
        {
            content: "Contoso would move down",
            trigger: "div[name=move_ids] .o_data_row:contains(Contoso Wholesale):contains(Silver)",
        },
        // 9. Sensitivity: the Gold threshold from 5,000 to 30,000, cost and members per tier.
        { content: "open Sensitivity", trigger: ".o_notebook a.nav-link:contains(Sensitivity)", run: "click" },
        { trigger: "div[name=sensitivity_tier_line_id] input", run: "edit Gold" },
        { trigger: ".o-autocomplete--dropdown-menu li a:contains(Gold)", run: "click" },
        { trigger: "div[name=sensitivity_from] input", run: "edit 5000" },
        { trigger: "div[name=sensitivity_to] input", run: "edit 30000" },
        { trigger: "div[name=sensitivity_steps] input", run: "edit 6" },
        { content: "run", trigger: "button[name=action_run_sensitivity]", run: "click" },
        { content: "six steps", trigger: "div[name=sensitivity_line_ids] .o_data_row:contains(30,000.00)" },
        { content: "the graph", trigger: "button[name=action_open_sensitivity_graph]", run: "click" },
        { content: "drawn", trigger: ".o_graph_renderer canvas" },
    ],
});

// Steps 3, 8, 11 and 12 as the demo sales rep.
tours.add("wholesale_loyalty_readme_sales_tour", {
    url: "/odoo",
    steps: () => [
        ...openApp("sale.sale_menu_root"),
        // 3. A quotation for Contoso (Gold): the banner, the lines, Redeem Points.
        { content: "new quotation", trigger: ".o_list_button_add", run: "click" },
        ...pickCustomer("Contoso Wholesale"),
        { content: "tier shown", trigger: ".o_wholesale_tier_banner .o_field_widget[name=wholesale_tier_id]:contains(Gold)" },
        { content: "spend more to reach Platinum", trigger: ".o_wholesale_next_tier:contains(Platinum)" },
        // 8. The banner names the Gold pricelist, which prices the lines.
        {
            content: "the Gold pricelist",
            trigger: ".o_wholesale_tier_banner .o_wholesale_tier_pricelist:contains(Gold customers 5% off)",
        },
        {
            content: "the lines will get the better of the tier discount and the pricelist's",
            trigger: ".o_wholesale_discount_message:contains(Each line gets the 3.00% tier discount or the discount of the pricelist Gold customers 5% off)",
        },
        ...addProduct("Wholesale Box (demo)"),
        { trigger: ".o_selected_row div[name=product_uom_qty] input", run: "edit 10 && click body" },
        { content: "the line is discounted", trigger: ".o_data_row td[name=price_subtotal]:contains(950.00)" },
        {
            content: "the banner says what the line carries and why",
            trigger: ".o_wholesale_discount_message:contains(Lines: 5.00% from the pricelist Gold customers 5% off (better than the 3.00% tier discount)",
        },
        ...save,
        { content: "redeem points", trigger: "button[name=action_wholesale_redeem_points]", run: "click" },
        { trigger: ".modal .o_field_widget[name=points] input", run: "edit 50" },
        { trigger: ".modal button[name=action_apply]", run: "click" },
        { content: "points line", trigger: ".o_data_row:contains(Loyalty points redemption)" },
        { content: "add shipping", trigger: "button[name=action_open_delivery_wizard]", run: "click" },
        { content: "choose a carrier", trigger: ".modal .o_field_widget[name=carrier_id] input", run: "edit Local Delivery" },
        { trigger: ".o-autocomplete--dropdown-menu li a:contains(Local Delivery)", run: "click" },
        { content: "add it", trigger: ".modal button[name=button_confirm]:not([disabled]):visible", run: "click" },
        {
            content: "the delivery line is free for Gold",
            trigger: ".o_data_row:contains(Local Delivery) td[name=price_subtotal]:contains(0.00)",
        },
        ...addProduct("New Season Box"),
        { content: "the rep is warned", trigger: ".modal:contains(is reserved to customers of tier Platinum or higher)" },
        { trigger: ".modal footer button", run: "click" },
        { content: "confirmation waits for a reason", trigger: ".o_wholesale_exclusive_warning:contains(cannot be confirmed)" },
        ...save,
        // 11. Fabrikam: the bonus for ordering ahead.
        { content: "back to the quotations", trigger: ".o_breadcrumb .breadcrumb-item a", run: "click" },
        { content: "new quotation", trigger: ".o_list_button_add", run: "click" },
        ...pickCustomer("Fabrikam Supplies"),
        { content: "the bonus for ordering ahead", trigger: ".o_wholesale_advance_order:contains(+100 points)" },
        ...addProduct("Wholesale Box (demo)"),
        { content: "line priced", trigger: ".o_data_row td[name=price_subtotal]:contains(100.00)" },
        // Saved before leaving the lines' tab: a line still in edition is refocused there.
        ...save,
        { content: "tab Other Info", trigger: "a.nav-link:contains(Other Info)", run: "click" },
        {
            content: "delivery in three weeks",
            trigger: "div[name=commitment_date] input",
            run: `edit ${DateTime.now().plus({ weeks: 3 }).toFormat("MM/dd/yyyy HH:mm:ss")} && press Enter`,
        },
        { content: "confirm", trigger: "button[name=action_confirm]", run: "click" },
        { trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Sales Order)" },
        { content: "invoice it", trigger: "button#create_invoice", run: "click" },
        { content: "create the invoice", trigger: ".modal button[name=create_invoices]", run: "click" },
        { content: "post it", trigger: "button[name=action_post]", run: "click" },
        { content: "posted", trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Posted)" },
        { content: "back to the quotations", trigger: ".o_breadcrumb .breadcrumb-item a:contains(Quotations)", run: "click" },
        // 12. Northwind: the personal offer beats Platinum's 5%.
        { content: "new quotation", trigger: ".o_list_button_add", run: "click" },
        ...pickCustomer("Northwind Traders"),
        { content: "the offer in the banner", trigger: ".o_wholesale_personal_offers:contains(7% off Wholesale Box (demo))" },
        ...addProduct("Wholesale Box (demo)"),
        { content: "the line gets 7%", trigger: ".o_data_row td[name=price_subtotal]:contains(93.00)" },
        ...save,
    ],
});

// Steps 4 and 5 as the billing accountant.
tours.add("wholesale_loyalty_readme_billing_tour", {
    url: "/odoo",
    steps: () => [
        ...openApp("account.menu_finance"),
        ...openMenu("account.menu_finance_receivables", "account.menu_action_move_out_invoice_type"),
        // 5. The invoice on the wholesale terms: its offer, then Pay with the cash discount.
        {
            content: "the invoice on the wholesale terms",
            trigger: ".o_data_row:contains(Northwind Traders):contains(1,000.00) td.o_data_cell",
            run: "click",
        },
        { content: "its early-payment offer", trigger: ".o_wholesale_invoice_early_payment:contains(save)" },
        { content: "pay", trigger: "button[name=action_register_payment]", run: "click" },
        { content: "discount proposed", trigger: ".modal .alert:contains(Cash discount of the payment terms)" },
        { content: "which rule", trigger: ".modal .o_field_widget[name=wholesale_discount_note]:contains(3%)" },
        { content: "3% off", trigger: ".modal .o_field_widget[name=amount] input:value(970.00)" },
        { content: "create payment", trigger: ".modal button[name=action_create_payments]", run: "click" },
        { content: "paid", trigger: ".o_form_view .ribbon:contains(Paid), .o_form_view .ribbon:contains(In Payment)" },
        // 5. The draft invoice of the customer who paid in advance.
        { content: "back to the invoices", trigger: ".o_breadcrumb .breadcrumb-item a", run: "click" },
        {
            content: "the draft invoice of Adventure Works",
            trigger: ".o_data_row:contains(Adventure Works Shop):contains(Draft) td.o_data_cell",
            run: "click",
        },
        { content: "apply the prepayment discount", trigger: "button[name=action_wholesale_apply_prepayment_discount]", run: "click" },
        { content: "discount line", trigger: ".o_field_widget[name=invoice_line_ids] .o_data_row:contains(Prepayment discount)" },
        // 4. An invoice for Fabrikam above 8,000 moves it to Gold.
        { content: "back to the invoices", trigger: ".o_breadcrumb .breadcrumb-item a", run: "click" },
        { content: "new invoice", trigger: ".o_list_button_add", run: "click" },
        ...pickCustomer("Fabrikam Supplies"),
        { content: "add a line", trigger: "div[name=invoice_line_ids] a:contains('Add a line')", run: "click" },
        { trigger: ".o_selected_row div[name=product_id] input", run: "edit Wholesale Box" },
        { trigger: ".o-autocomplete--dropdown-menu li a:contains(Wholesale Box (demo))", run: "click" },
        { trigger: ".o_selected_row div[name=quantity] input", run: "edit 85 && click body" },
        { content: "line priced", trigger: ".o_data_row td[name=price_subtotal]:contains(8,500.00)" },
        { content: "confirm", trigger: "button[name=action_post]", run: "click" },
        { content: "posted", trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Posted)" },
        // 10. A Silver customer buys a year of Gold and pays it.
        { content: "back to the invoices", trigger: ".o_breadcrumb .breadcrumb-item a", run: "click" },
        { content: "new invoice", trigger: ".o_list_button_add", run: "click" },
        ...pickCustomer("Deco Addict"),
        { content: "add a line", trigger: "div[name=invoice_line_ids] a:contains('Add a line')", run: "click" },
        { trigger: ".o_selected_row div[name=product_id] input", run: "edit Gold membership" },
        { trigger: ".o-autocomplete--dropdown-menu li a:contains(Gold membership (12 months))", run: "click" },
        { content: "line priced", trigger: ".o_data_row td[name=price_subtotal]:contains(300.00)" },
        { content: "confirm", trigger: "button[name=action_post]", run: "click" },
        { content: "posted", trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Posted)" },
        { content: "pay", trigger: "button[name=action_register_payment]", run: "click" },
        { content: "create payment", trigger: ".modal button[name=action_create_payments]", run: "click" },
        { content: "paid", trigger: ".o_form_view .ribbon:contains(Paid), .o_form_view .ribbon:contains(In Payment)" },
    ],
});

// Step 6: the portal page of Northwind.
tours.add("wholesale_loyalty_readme_portal_tour", {
    url: "/my",
    steps: () => [
        { content: "loyalty entry", trigger: "a[href='/my/wholesale-loyalty']", run: "click", expectUnloadPage: true },
        { content: "tier, in the backend's colour", trigger: ".o_wholesale_tier.text-bg-success:contains(Platinum)" },
        { content: "balance", trigger: ".o_wholesale_balance:contains(1,730)" },
        { content: "the program in plain sentences", trigger: ".o_wholesale_program_summary:contains(Gold)" },
        { content: "the personal offer", trigger: ".o_wholesale_loyalty_portal:contains(Wholesale Box (demo))" },
    ],
});
