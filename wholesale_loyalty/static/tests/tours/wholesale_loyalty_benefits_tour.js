/** @odoo-module **/

import { registry } from "@web/core/registry";

// A sales rep quotes a Gold customer: the banner names the pricelist Gold gives, the delivery
// added with the carrier wizard is free (the line says why), and a product reserved to
// Platinum brings a warning when added and stays flagged on the quotation.
registry.category("web_tour.tours").add("wholesale_loyalty_benefits_tour", {
    steps: () => [
        { content: "customer", trigger: ".o_field_widget[name=partner_id] input", run: "edit Benefits Gold" },
        { trigger: ".ui-menu-item > a:contains(Benefits Gold Customer)", run: "click" },
        { content: "tier shown", trigger: ".o_wholesale_tier_banner .o_field_widget[name=wholesale_tier_id]:contains(Gold)" },
        {
            content: "the banner names the tier's pricelist",
            trigger: ".o_wholesale_tier_banner .o_wholesale_tier_pricelist:contains(Gold customers pricelist)",
        },
        { content: "add goods", trigger: "a:contains('Add a product')", run: "click" },
        { trigger: "div[name=product_template_id] input", run: "edit Benefits goods" },
        { trigger: "ul.ui-autocomplete a:contains(Benefits goods)", run: "click" },
        { content: "line priced", trigger: ".o_data_row td[name=price_subtotal]:contains(1,000.00)" },
        { content: "save", trigger: ".o_form_button_save", run: "click" },
        { content: "saved", trigger: ".o_form_view .o_form_saved" },
        { content: "add shipping", trigger: "button[name=action_open_delivery_wizard]", run: "click" },
        { content: "carrier proposed", trigger: ".modal .o_field_widget[name=carrier_id] input:value(Benefits Express)" },
        { content: "add it", trigger: ".modal button[name=button_confirm]:not([disabled]):visible", run: "click" },
        {
            content: "the delivery line is free",
            trigger: ".o_data_row:contains(Benefits Express) td[name=price_subtotal]:contains(0.00)",
        },
        { content: "add the reserved product", trigger: "a:contains('Add a product')", run: "click" },
        { trigger: "div[name=product_template_id] input", run: "edit Benefits Platinum exclusive" },
        { trigger: "ul.ui-autocomplete a:contains(Benefits Platinum exclusive)", run: "click" },
        {
            content: "the rep is warned",
            trigger: ".modal:contains(is reserved to customers of tier Platinum or higher)",
        },
        { trigger: ".modal footer button", run: "click" },
        {
            content: "the quotation keeps the warning",
            trigger: ".o_wholesale_exclusive_warning:contains(Benefits Gold Customer holds Gold)",
        },
        { content: "save", trigger: ".o_form_button_save", run: "click" },
        { content: "saved", trigger: ".o_form_view .o_form_saved" },
    ],
});
