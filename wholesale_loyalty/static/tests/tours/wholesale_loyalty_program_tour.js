/** @odoo-module **/

import { registry } from "@web/core/registry";

// Tiers are edited in a dialog opened from the program's list: their benefits are formatted text.
function addTier(name, threshold, discount) {
    return [
        {
            content: `add tier ${name}`,
            trigger: ".o_field_widget[name=tier_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=name] input",
            run: `edit ${name}`,
        },
        {
            trigger: ".modal .o_field_widget[name=threshold_amount] input",
            run: `edit ${threshold}`,
        },
        {
            trigger: ".modal .o_field_widget[name=discount_percent] input",
            run: `edit ${discount}`,
        },
        {
            content: `save tier ${name}`,
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: `tier ${name} listed`,
            trigger: `body:not(:has(.modal)) .o_field_widget[name=tier_ids] .o_data_row td:contains(${name})`,
        },
    ];
}

// An administrator creates a program with three tiers from Sales > Configuration.
registry.category("web_tour.tours").add("wholesale_loyalty_program_tour", {
    url: "/odoo/action-wholesale_loyalty.wholesale_loyalty_program_action",
    steps: () => [
        { content: "new program", trigger: ".o_list_button_add", run: "click" },
        { trigger: ".o_field_widget[name=name] input", run: "edit Tour Partner Program" },
        ...addTier("Tour Silver", "0", "0"),
        ...addTier("Tour Gold", "10000", "3"),
        ...addTier("Tour Platinum", "50000", "5"),
        { content: "save", trigger: ".o_form_button_save", run: "click" },
        { content: "saved", trigger: ".o_form_saved" },
        {
            content: "three tiers listed",
            trigger: ".o_field_widget[name=tier_ids] .o_data_row:nth-child(3) td:contains(Tour Platinum)",
        },
    ],
});

// An administrator checks the new program's screen, writes a tier's benefits from the
// program, saves, recalculates the tiers and is told what happened.
registry.category("web_tour.tours").add("wholesale_loyalty_admin_program_tour", {
    url: "/odoo/action-wholesale_loyalty.wholesale_loyalty_program_action",
    steps: () => [
        { content: "new program", trigger: ".o_list_button_add", run: "click" },
        {
            content: "no recalculation before the program is saved",
            trigger: ".o_form_view:not(:has(button[name=action_recalculate_tiers])) .o_field_widget[name=name] input",
            run: "edit Admin Tour Program",
        },
        {
            content: "the rolling period shows its number of months",
            trigger: "div[name=qualification_period]:contains(months) .o_field_widget[name=period_months] input:value(12)",
        },
        ...addTier("Admin Tour Gold", "0", "3"),
        {
            content: "open the tier from the program",
            trigger: ".o_field_widget[name=tier_ids] .o_data_row td:contains(Admin Tour Gold)",
            run: "click",
        },
        {
            content: "write the tier's benefits",
            trigger: ".modal .o_field_html[name=benefits] .odoo-editor-editable :is(p, div.o-paragraph)",
            run: "editor Free delivery from the first pallet",
        },
        { content: "save the tier", trigger: ".modal .o_form_button_save", run: "click" },
        { trigger: "body:not(:has(.modal)) .o_field_widget[name=tier_ids] .o_data_row" },
        { content: "save the program", trigger: ".o_form_button_save", run: "click" },
        { trigger: ".o_form_saved" },
        {
            content: "recalculate",
            trigger: ".o_form_statusbar button[name=action_recalculate_tiers]",
            run: "click",
        },
        { content: "confirm", trigger: ".modal-footer .btn-primary", run: "click" },
        {
            content: "told what happened",
            trigger: ".o_notification_manager .o_notification:contains(Tiers recalculated):contains(customers)",
        },
    ],
});

// The administrator opens a member and sees its tier and points on the smart button.
registry.category("web_tour.tours").add("wholesale_loyalty_admin_customer_tour", {
    steps: () => [
        {
            content: "tier and points on the smart button",
            trigger: "button.oe_stat_button[name=action_wholesale_view_ledger]:contains(Gold):contains(120 pts)",
            run: "click",
        },
        {
            content: "the ledger opens",
            trigger: ".o_list_view .o_data_row:contains(Webinar attended)",
        },
    ],
});

