/** @odoo-module **/

import { registry } from "@web/core/registry";

function addTier(name, threshold, discount) {
    return [
        {
            content: `add tier ${name}`,
            trigger: ".o_field_widget[name=tier_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=tier_ids] .o_selected_row .o_field_widget[name=name] input",
            run: `edit ${name}`,
        },
        {
            trigger: ".o_field_widget[name=tier_ids] .o_selected_row .o_field_widget[name=threshold_amount] input",
            run: `edit ${threshold}`,
        },
        {
            trigger: ".o_field_widget[name=tier_ids] .o_selected_row .o_field_widget[name=discount_percent] input",
            run: `edit ${discount}`,
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
